#pragma once
// Which vector instructions nabla's own hand-written kernels may use: the best the CPU has, capped by
// NABLA_MAX_CPU_ISA (AVX2 or PORTABLE; AVX512 or unset: no cap), as ONEDNN_MAX_CPU_ISA caps oneDNN's. The cap
// lets an AVX-512 machine stand in for an AVX2-only one (bench/side_by_side.py --isa avx2). Kernels with AVX-512
// versions compute the same bits as their AVX2 versions, so the cap changes speed only.
namespace nabla {

enum class CpuIsa { portable, avx2, avx512 };  // avx2 includes FMA; avx512 means F, VL, DQ and BW

CpuIsa cpu_isa();
// The lower of `most` and cpu_isa(): what a kernel limited to `most` (a test, a benchmark) may use.
CpuIsa cpu_isa_at_most(CpuIsa most);
const char* cpu_isa_name(CpuIsa isa);

// Runs Body(args...) compiled for AVX2 where cpu_isa() allows it, else as the portable build compiled it: the
// portable build's hot elementwise loops (Adam, dropout, pooling, recurrent activations) get an AVX2 version that
// NABLA_MAX_CPU_ISA=PORTABLE turns off, which GCC's target_clones, dispatching on the CPU alone, could not.
// Body is an always_inline function, so each instance below compiles its own copy of the loop. "avx2" without
// "fma" keeps a * b + c two roundings, so both versions compute the same bits.
template <auto Body, class... Args>
__attribute__((target("avx2"))) void run_body_avx2(Args&&... args) {
  Body(static_cast<Args&&>(args)...);
}
template <auto Body, class... Args>
void run_at_best_isa(Args&&... args) {
  if (cpu_isa() != CpuIsa::portable)
    run_body_avx2<Body>(static_cast<Args&&>(args)...);
  else
    Body(static_cast<Args&&>(args)...);
}

}  // namespace nabla
