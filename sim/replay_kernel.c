/* Firing-log replay kernel for sim/cycle.py (same algorithm as _replay_py).
 * Built on first use with g++ into a cache directory and loaded with ctypes.
 * Returns 0 when every node is done, 1 on deadlock (state left in pos/occ). */
#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

int sam_replay(int32_t nn, const int64_t *log_off, const uint64_t *logs,
               const int32_t *nin, const int32_t *in_off, const int32_t *in_fifo,
               const int32_t *out_off, const int32_t *outp_off, const int32_t *out_fifo,
               int32_t depth, int64_t *pos, int64_t *busy, int64_t *st_in,
               int64_t *st_out, int32_t *occ, int64_t *cycles_out)
{
    int32_t *active = (int32_t *)malloc(sizeof(int32_t) * (nn + 1));
    int32_t *fired = (int32_t *)malloc(sizeof(int32_t) * (nn + 1));
    int32_t nact = 0;
    int64_t cycles = 0;
    int rc = 0;
    for (int32_t n = 0; n < nn; n++)
        if (log_off[n + 1] > log_off[n]) active[nact++] = n;
    while (nact > 0) {
        int32_t nfired = 0;
        for (int32_t a = 0; a < nact; a++) {
            int32_t n = active[a];
            uint64_t m = logs[log_off[n] + pos[n]];
            int32_t k = nin[n];
            uint64_t inmask = k ? ((k >= 64) ? ~0ULL : ((1ULL << k) - 1)) : 0;
            uint64_t need = (m | (m >> k)) & inmask;
            int ok = 1;
            while (need) {
                int i = __builtin_ctzll(need);
                need &= need - 1;
                int32_t f = in_fifo[in_off[n] + i];
                if (f >= 0 && occ[f] == 0) { ok = 0; break; }
            }
            if (!ok) { st_in[n]++; continue; }
            uint64_t outm = (2 * k < 64) ? (m >> (2 * k)) : 0;
            while (outm && ok) {
                int j = __builtin_ctzll(outm);
                outm &= outm - 1;
                int32_t idx = out_off[n] + j;
                for (int32_t q = outp_off[idx]; q < outp_off[idx + 1]; q++)
                    if (occ[out_fifo[q]] >= depth) { ok = 0; break; }
            }
            if (!ok) { st_out[n]++; continue; }
            fired[nfired++] = n;
        }
        if (nfired == 0) { rc = 1; break; }
        int any_done = 0;
        for (int32_t b = 0; b < nfired; b++) {
            int32_t n = fired[b];
            uint64_t m = logs[log_off[n] + pos[n]];
            int32_t k = nin[n];
            uint64_t inmask = k ? ((1ULL << k) - 1) : 0;
            uint64_t pop = m & inmask;
            while (pop) {
                int i = __builtin_ctzll(pop);
                pop &= pop - 1;
                int32_t f = in_fifo[in_off[n] + i];
                if (f >= 0) occ[f]--;
            }
            uint64_t outm = m >> (2 * k);
            while (outm) {
                int j = __builtin_ctzll(outm);
                outm &= outm - 1;
                int32_t idx = out_off[n] + j;
                for (int32_t q = outp_off[idx]; q < outp_off[idx + 1]; q++)
                    occ[out_fifo[q]]++;
            }
            pos[n]++;
            busy[n]++;
            if (pos[n] == log_off[n + 1] - log_off[n]) any_done = 1;
        }
        cycles++;
        if (any_done) {
            int32_t w = 0;
            for (int32_t a = 0; a < nact; a++) {
                int32_t n = active[a];
                if (pos[n] < log_off[n + 1] - log_off[n]) active[w++] = n;
            }
            nact = w;
        }
    }
    *cycles_out = cycles;
    free(active);
    free(fired);
    return rc;
}

#ifdef __cplusplus
}
#endif
