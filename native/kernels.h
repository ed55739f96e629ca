/* spec-vla native kernels: the C twin of src/ops/reference.ts (same semantics, same argument order). */
#ifndef SPEC_VLA_KERNELS_H
#define SPEC_VLA_KERNELS_H
#include <stddef.h>
#include <stdint.h>

void sv_matmul(const float *a, const float *b, float *c, int M, int N, int K, int transB);
int sv_matmul_bf16(const float *a, const uint16_t *b, float *c, int M, int N, int K);
int sv_bf16_fast(void);
float *sv_pack_panels(const float *b, int N, int K);
void sv_matmul_panels(const float *a, const float *bp, float *c, int M, int N, int K);
void sv_matmul_trans_a(const float *a, const float *b, float *c, int M, int N, int K);
void sv_resample(const float *src, float *out, int lines, int lineIn, int lineOut, int stepIn, int stepOut, const int32_t *first, int m, const float *weights, int taps);
void sv_add(const float *a, size_t n, const float *b, size_t nb, float *out);
void sv_mul(const float *a, size_t n, const float *b, size_t nb, float *out);
void sv_scale(const float *a, size_t n, float s, float *out);
void sv_rms_norm(const float *x, const float *w, float *out, int rows, int cols, float eps);
void sv_layer_norm(const float *x, const float *w, const float *b, float *out, int rows, int cols, float eps);
void sv_rope(const float *x, const int32_t *pos, float *out, int T, int nHeads, int headDim, double theta);
void sv_silu(const float *x, size_t n, float *out);
void sv_swiglu(const float *gate, const float *up, size_t n, float *out);
void sv_gelu_tanh(const float *x, size_t n, float *out);
void sv_gelu_erf(const float *x, size_t n, float *out);
void sv_rms_norm_grad(const float *x, const float *w, const float *g, float *dx, float *dw, int rows, int cols, float eps);
void sv_layer_norm_grad(const float *x, const float *w, const float *g, float *dx, float *dw, float *db, int rows, int cols, float eps);
void sv_silu_grad(const float *x, const float *g, size_t n, float *out);
void sv_gelu_tanh_grad(const float *x, const float *g, size_t n, float *out);
void sv_gelu_erf_grad(const float *x, const float *g, size_t n, float *out);
void sv_softmax(const float *x, float *out, int rows, int cols);
int sv_attention(const float *q, const float *k, const float *v, const float *mask, float *out,
                 int T, int S, int nHeads, int nKvHeads, int headDim);
int sv_attention_grad(const float *q, const float *k, const float *v, const float *mask, const float *g, float *dq,
                      float *dk, float *dv, int T, int S, int nHeads, int nKvHeads, int headDim);
void sv_embedding(const float *table, const int32_t *ids, size_t n, float *out, int dim);
void sv_argmax(const float *x, int rows, int cols, int32_t *out);
void sv_topk(const float *x, size_t n, int k, int32_t *idx, float *val);
void sv_bf16_to_f32(const uint16_t *src, size_t n, float *out);
void sv_f16_to_f32(const uint16_t *src, size_t n, float *out);
void sv_f32_to_bf16(const float *src, size_t n, uint16_t *out);
void sv_f32_to_f16(const float *src, size_t n, uint16_t *out);

double sv_blas_sgemm_seconds(int M, int N, int K, int iters);
double sv_read_bandwidth(size_t bytes, int iters);
double sv_peak_gflops(int iters);
#endif
