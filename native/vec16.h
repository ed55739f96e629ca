/*
 * v16: sixteen f32 lanes, the one vector type the kernels are written in. With AVX-512 it is one zmm
 * register; with AVX2 + FMA it is a pair of ymm registers. Both do the same IEEE operations lane by
 * lane (fused multiply-adds included), so a kernel gives the same bits on either, except where a
 * horizontal sum adds its lanes in a different order. Register-tile shapes that depend on how many
 * registers there are come from V16_REGS.
 */
#ifndef SPEC_VLA_VEC16_H
#define SPEC_VLA_VEC16_H
#include <immintrin.h>
#include <stdint.h>

#define V16_INLINE static inline __attribute__((always_inline))

#if defined(__AVX512F__)

/* Vector registers a v16 register tile may use (accumulators + loads). */
#define V16_REGS 32

typedef __m512 v16;
typedef __mmask16 v16mask;

V16_INLINE v16mask v16_first(int n) { return n >= 16 ? (v16mask)0xffff : (v16mask)((1u << (n > 0 ? n : 0)) - 1); }
V16_INLINE v16 v16_zero(void) { return _mm512_setzero_ps(); }
V16_INLINE v16 v16_set1(float x) { return _mm512_set1_ps(x); }
V16_INLINE v16 v16_load(const float *p) { return _mm512_load_ps(p); }
V16_INLINE v16 v16_load_n(const float *p, int n) { return _mm512_maskz_loadu_ps(v16_first(n), p); }
V16_INLINE v16 v16_load_n_or(const float *p, int n, float fill) { return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), v16_first(n), p); }
V16_INLINE void v16_store_n(float *p, int n, v16 v) { _mm512_mask_storeu_ps(p, v16_first(n), v); }
V16_INLINE v16 v16_keep_n(v16 v, int n) { return _mm512_maskz_mov_ps(v16_first(n), v); }
V16_INLINE v16 v16_add(v16 a, v16 b) { return _mm512_add_ps(a, b); }
V16_INLINE v16 v16_sub(v16 a, v16 b) { return _mm512_sub_ps(a, b); }
V16_INLINE v16 v16_mul(v16 a, v16 b) { return _mm512_mul_ps(a, b); }
V16_INLINE v16 v16_div(v16 a, v16 b) { return _mm512_div_ps(a, b); }
V16_INLINE v16 v16_max(v16 a, v16 b) { return _mm512_max_ps(a, b); }
V16_INLINE v16 v16_abs(v16 a) { return _mm512_abs_ps(a); }
/* a·b + c, c - a·b and a·b - c, each rounded once. */
V16_INLINE v16 v16_fmadd(v16 a, v16 b, v16 c) { return _mm512_fmadd_ps(a, b, c); }
V16_INLINE v16 v16_fnmadd(v16 a, v16 b, v16 c) { return _mm512_fnmadd_ps(a, b, c); }
V16_INLINE v16 v16_fmsub(v16 a, v16 b, v16 c) { return _mm512_fmsub_ps(a, b, c); }
V16_INLINE v16 v16_round(v16 a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* p·2^n for integral n in [-252, 252], rounded once. */
V16_INLINE v16 v16_scale2(v16 p, v16 n) { return _mm512_scalef_ps(p, n); }
V16_INLINE v16mask v16_lt(v16 a, v16 b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
V16_INLINE v16mask v16_gt(v16 a, v16 b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
V16_INLINE v16mask v16_ge(v16 a, v16 b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
V16_INLINE v16mask v16_or(v16mask a, v16mask b) { return a | b; }
/* Lanes of m take b, the others a. */
V16_INLINE v16 v16_blend(v16mask m, v16 a, v16 b) { return _mm512_mask_blend_ps(m, a, b); }
V16_INLINE float v16_reduce_add(v16 a) { return _mm512_reduce_add_ps(a); }
V16_INLINE float v16_reduce_max(v16 a) { return _mm512_reduce_max_ps(a); }
/* Lanes [0, n) down a column: p[l·ld] = lane l. */
V16_INLINE void v16_store_column(float *p, int ld, int n, v16 v) {
  __m512i stride = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32(ld));
  _mm512_mask_i32scatter_ps(p, v16_first(n), stride, v, 4);
}

#elif defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)

#define V16_REGS 16

typedef struct {
  __m256 lo, hi;
} v16;
typedef struct {
  __m256 lo, hi;
} v16mask;

/* All-ones lanes [0, n) of an 8-lane half. */
V16_INLINE __m256i v16_half_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
V16_INLINE v16 v16_make(__m256 lo, __m256 hi) {
  v16 r = {lo, hi};
  return r;
}
V16_INLINE v16mask v16_mask_make(__m256 lo, __m256 hi) {
  v16mask r = {lo, hi};
  return r;
}
V16_INLINE v16 v16_zero(void) { return v16_make(_mm256_setzero_ps(), _mm256_setzero_ps()); }
V16_INLINE v16 v16_set1(float x) { return v16_make(_mm256_set1_ps(x), _mm256_set1_ps(x)); }
V16_INLINE v16 v16_load(const float *p) { return v16_make(_mm256_load_ps(p), _mm256_load_ps(p + 8)); }
V16_INLINE v16 v16_load_n(const float *p, int n) {
  if (n >= 16) return v16_make(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
  return v16_make(_mm256_maskload_ps(p, v16_half_mask(n)), _mm256_maskload_ps(p + 8, v16_half_mask(n - 8)));
}
V16_INLINE v16 v16_load_n_or(const float *p, int n, float fill) {
  if (n >= 16) return v16_make(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
  __m256i ml = v16_half_mask(n), mh = v16_half_mask(n - 8);
  __m256 f = _mm256_set1_ps(fill);
  return v16_make(_mm256_blendv_ps(f, _mm256_maskload_ps(p, ml), _mm256_castsi256_ps(ml)),
                  _mm256_blendv_ps(f, _mm256_maskload_ps(p + 8, mh), _mm256_castsi256_ps(mh)));
}
V16_INLINE void v16_store_n(float *p, int n, v16 v) {
  if (n >= 16) {
    _mm256_storeu_ps(p, v.lo);
    _mm256_storeu_ps(p + 8, v.hi);
    return;
  }
  _mm256_maskstore_ps(p, v16_half_mask(n), v.lo);
  _mm256_maskstore_ps(p + 8, v16_half_mask(n - 8), v.hi);
}
V16_INLINE v16 v16_keep_n(v16 v, int n) {
  return v16_make(_mm256_and_ps(v.lo, _mm256_castsi256_ps(v16_half_mask(n))), _mm256_and_ps(v.hi, _mm256_castsi256_ps(v16_half_mask(n - 8))));
}
V16_INLINE v16 v16_add(v16 a, v16 b) { return v16_make(_mm256_add_ps(a.lo, b.lo), _mm256_add_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_sub(v16 a, v16 b) { return v16_make(_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_mul(v16 a, v16 b) { return v16_make(_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_div(v16 a, v16 b) { return v16_make(_mm256_div_ps(a.lo, b.lo), _mm256_div_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_max(v16 a, v16 b) { return v16_make(_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_abs(v16 a) {
  __m256 m = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  return v16_make(_mm256_and_ps(a.lo, m), _mm256_and_ps(a.hi, m));
}
V16_INLINE v16 v16_fmadd(v16 a, v16 b, v16 c) { return v16_make(_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)); }
V16_INLINE v16 v16_fnmadd(v16 a, v16 b, v16 c) { return v16_make(_mm256_fnmadd_ps(a.lo, b.lo, c.lo), _mm256_fnmadd_ps(a.hi, b.hi, c.hi)); }
V16_INLINE v16 v16_fmsub(v16 a, v16 b, v16 c) { return v16_make(_mm256_fmsub_ps(a.lo, b.lo, c.lo), _mm256_fmsub_ps(a.hi, b.hi, c.hi)); }
V16_INLINE v16 v16_round(v16 a) {
  const int mode = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  return v16_make(_mm256_round_ps(a.lo, mode), _mm256_round_ps(a.hi, mode));
}
/* 2^n for integral n in [-126, 127], built in the exponent field. */
V16_INLINE __m256 v16_pow2_half(__m256 n) {
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
/* p·2^n for integral n in [-252, 252]: two exact power-of-two factors, so only the last product rounds, as scalef does. */
V16_INLINE __m256 v16_scale2_half(__m256 p, __m256 n) {
  __m256 n1 = _mm256_round_ps(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 n2 = _mm256_sub_ps(n, n1);
  return _mm256_mul_ps(_mm256_mul_ps(p, v16_pow2_half(n1)), v16_pow2_half(n2));
}
V16_INLINE v16 v16_scale2(v16 p, v16 n) { return v16_make(v16_scale2_half(p.lo, n.lo), v16_scale2_half(p.hi, n.hi)); }
V16_INLINE v16mask v16_lt(v16 a, v16 b) { return v16_mask_make(_mm256_cmp_ps(a.lo, b.lo, _CMP_LT_OQ), _mm256_cmp_ps(a.hi, b.hi, _CMP_LT_OQ)); }
V16_INLINE v16mask v16_gt(v16 a, v16 b) { return v16_mask_make(_mm256_cmp_ps(a.lo, b.lo, _CMP_GT_OQ), _mm256_cmp_ps(a.hi, b.hi, _CMP_GT_OQ)); }
V16_INLINE v16mask v16_ge(v16 a, v16 b) { return v16_mask_make(_mm256_cmp_ps(a.lo, b.lo, _CMP_GE_OQ), _mm256_cmp_ps(a.hi, b.hi, _CMP_GE_OQ)); }
V16_INLINE v16mask v16_or(v16mask a, v16mask b) { return v16_mask_make(_mm256_or_ps(a.lo, b.lo), _mm256_or_ps(a.hi, b.hi)); }
V16_INLINE v16 v16_blend(v16mask m, v16 a, v16 b) { return v16_make(_mm256_blendv_ps(a.lo, b.lo, m.lo), _mm256_blendv_ps(a.hi, b.hi, m.hi)); }
V16_INLINE float v16_reduce_add(v16 a) {
  __m256 s = _mm256_add_ps(a.lo, a.hi);
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}
V16_INLINE float v16_reduce_max(v16 a) {
  __m256 s = _mm256_max_ps(a.lo, a.hi);
  __m128 q = _mm_max_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_max_ps(q, _mm_movehl_ps(q, q));
  q = _mm_max_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}
V16_INLINE void v16_store_column(float *p, int ld, int n, v16 v) {
  float lanes[16];
  _mm256_storeu_ps(lanes, v.lo);
  _mm256_storeu_ps(lanes + 8, v.hi);
  for (int l = 0; l < n && l < 16; l++) p[(size_t)l * ld] = lanes[l];
}

#else
#error "spec-vla's native kernels need AVX-512F, or AVX2 with FMA and F16C; without them the TypeScript reference kernels run"
#endif

#endif
