// Behavioural model of the Lattice ECP5 DP16KD block RAM, for tests only
// (tests/test_ram.py runs rtl.ram.Ram(target="ecp5") on it under Icarus).
//
// Only what rtl/ram.py instantiates is modelled, and anything else stops the
// simulation with $fatal:
//   * DATA_WIDTH_A == DATA_WIDTH_B in {1, 2, 4, 9, 18}; the word address is
//     ADx[13:lsb] with lsb = 0, 1, 2, 3, 4 for widths 1, 2, 4, 9, 18 (Yosys
//     share/lattice/brams_16kd.txt: abits 14, widths 1 2 4 9 18); in x18
//     mode ADx[1:0] are the byte enables of a write (bits 8:0 and 17:9);
//   * CSDECODE_A/B "0b000": a port works only while CSx[2:0] == 0;
//   * WRITEMODE "NORMAL": a write leaves the port's own data output unchanged;
//   * REGMODE "NOREG": DOx = the array read latch (data read at the last
//     clock edge with CEx high and WEx low); "OUTREG": DOx = a register
//     loaded from that latch at each clock edge with OCEx high, so with
//     CEx = OCEx the data is the word read two enabled edges ago;
//   * RESETMODE "SYNC": RSTx clears the port's latch and output register at
//     a clock edge;
//   * one clock: CLKA and CLKB must be the same signal (a read of the word
//     port A writes at the same edge gives X: the hardware does not define
//     it). Latches and output registers start at 0.
`timescale 1ns/1ps
module DP16KD(
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA,
  input CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB,
  input CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter GSR = "ENABLED";

  localparam W = DATA_WIDTH_A;
  localparam LSB = W == 18 ? 4 : W == 9 ? 3 : W == 4 ? 2 : W == 2 ? 1 : 0;
  localparam DEPTH = 16384 >> LSB;

  wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [13:0] wa = ada >> LSB;
  wire [13:0] wb = adb >> LSB;
  wire sela = {CSA2, CSA1, CSA0} == 3'b000;
  wire selb = {CSB2, CSB1, CSB0} == 3'b000;

  reg [17:0] mem [0:DEPTH-1];
  reg [17:0] lat_a = 0, lat_b = 0, out_a = 0, out_b = 0;
  integer i;

  initial begin
    if (DATA_WIDTH_A != DATA_WIDTH_B || !(W == 1 || W == 2 || W == 4 || W == 9 || W == 18))
      $fatal(1, "DP16KD model: widths %0d/%0d not modelled", DATA_WIDTH_A, DATA_WIDTH_B);
    if (CSDECODE_A != "0b000" || CSDECODE_B != "0b000" || WRITEMODE_A != "NORMAL"
        || WRITEMODE_B != "NORMAL" || RESETMODE != "SYNC")
      $fatal(1, "DP16KD model: CSDECODE/WRITEMODE/RESETMODE not modelled");
    if ((REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG"))
      $fatal(1, "DP16KD model: REGMODE not modelled");
    for (i = 0; i < DEPTH; i = i + 1) mem[i] = 0;
  end

  // bits of a write: byte enables in x18 mode, else the low W bits
  function [17:0] wmask(input [13:0] ad);
    if (W == 18) wmask = {{9{ad[1]}}, {9{ad[0]}}};
    else wmask = (18'd1 << W) - 1;
  endfunction

  always @(posedge CLKA) begin
    if (CLKA !== CLKB) $fatal(1, "DP16KD model: CLKA and CLKB must be one clock");
    if (RSTA) begin
      lat_a <= 0; out_a <= 0;
    end else begin
      if (CEA && sela) begin
        if (WEA) mem[wa] <= (mem[wa] & ~wmask(ada)) | (dia & wmask(ada));
        else lat_a <= mem[wa];
      end
      if (OCEA) out_a <= lat_a;
    end
    if (RSTB) begin
      lat_b <= 0; out_b <= 0;
    end else begin
      if (CEB && selb) begin
        if (WEB) mem[wb] <= (mem[wb] & ~wmask(adb)) | (dib & wmask(adb));
        else if (CEA && sela && WEA && wa == wb) lat_b <= 18'bx;  // collision: undefined
        else lat_b <= mem[wb];
      end
      if (OCEB) out_b <= lat_b;
    end
  end

  wire [17:0] doa = REGMODE_A == "OUTREG" ? out_a : lat_a;
  wire [17:0] dob = REGMODE_B == "OUTREG" ? out_b : lat_b;
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
