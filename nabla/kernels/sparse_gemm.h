#pragma once
// Zero skipping: a float32 GEMM whose A operand is mostly exact zeros (MNIST pixels are 81% zeros, one-hot and
// bag-of-words inputs more) computes only the products of A's non-zeros, which is what makes the reference
// MLP's two large GEMMs (forward x W and the kernel gradient x^T g) 4-5x cheaper than a dense GEMM at peak.
// kernels::gemm tries it first and falls back to oneDNN's dense matmul when A is denser than kMaxDensity, when
// the layouts do not fit, or when zero skipping is switched off (NABLA_ZERO_SKIPPING=0, set_zero_skipping).
//
// The result is the dense product's up to rounding: each C element sums A's non-zero terms in ascending k, one
// thread per output row, so it is the same for every thread count. A zero in A times an Inf or NaN in B is
// skipped (a dense GEMM would give NaN there); a NaN or Inf in A itself is a non-zero and propagates.
#include <cstdint>

#include "nabla/core/cpu_isa.h"

namespace nabla::kernels {

// A is used sparsely when at most this fraction of its values is non-zero. Measured break-even on a 2-vCPU AMD
// EPYC (AVX-512; bench/gemm_bench BM_GemmSparseA, N=128): 0.35-0.4 for x W, ~0.45 for x^T g, at 1 and 2 threads.
inline constexpr double kMaxDensity = 0.33;

// C[M,N] = act(op(A) B + bias [+ C]) computed from A's non-zeros, where op(A) is [M,K] with strides
// (a_sr, a_sc) and one of them 1, B is [K,N] row-major with row stride ldb, C is [M,N] contiguous.
// Returns false, having written nothing, when A is too dense or the case is not one it handles.
bool gemm_skipping_zeros(const float* a, int64_t m, int64_t k, int64_t a_sr, int64_t a_sc, const float* b,
                         int64_t ldb, float* c, int64_t n, const float* bias, bool relu, bool accumulate);

// On by default; NABLA_ZERO_SKIPPING=0 in the environment switches it off (for benchmarking dense inputs).
void set_zero_skipping(bool on);
bool zero_skipping();

namespace detail {
// For tests: runs the kernels of at most `most` (CpuIsa::portable: the scalar ones) and returns the level now in
// use, which is lower where the CPU or NABLA_MAX_CPU_ISA allows less; cpu_isa() restores the default.
CpuIsa limit_zero_skipping_isa(CpuIsa most);
}  // namespace detail

}  // namespace nabla::kernels
