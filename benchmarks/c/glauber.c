/* Hand-written C reference for the benchmarks: the same asynchronous Glauber
 * sweep of the Hopfield network (p = 2) as emergence.hopfield, with running
 * overlaps M_mu = N m_mu, a Fisher-Yates order per sweep and xoshiro256+. */
#include <stdint.h>
#include <math.h>
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static inline double uniform(uint64_t *s) {
    uint64_t result = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return (result >> 11) * 0x1.0p-53;
}
long glauber_sweeps(const int8_t *xi_t, int n, int P, int8_t *state, int64_t *M, const int64_t *norm2,
                    double beta, int sweeps, uint64_t *rng, int64_t *order) {
    long flips = 0;
    for (int i = 0; i < n; i++) order[i] = i;
    for (int sw = 0; sw < sweeps; sw++) {
        for (int k = n - 1; k > 0; k--) {
            int j = (int)(uniform(rng) * (k + 1));
            int64_t tmp = order[k]; order[k] = order[j]; order[j] = tmp;
        }
        for (int k = 0; k < n; k++) {
            int64_t i = order[k];
            const int8_t *x = xi_t + i * P;
            int s = state[i];
            int64_t dot = 0;
            for (int mu = 0; mu < P; mu++) dot += x[mu] * M[mu];
            double de = 2.0 * (s * dot - norm2[i]) / n;
            if (uniform(rng) < 1.0 / (1.0 + exp(beta * de))) {
                for (int mu = 0; mu < P; mu++) M[mu] -= 2 * s * x[mu];
                state[i] = -s;
                flips++;
            }
        }
    }
    return flips;
}
