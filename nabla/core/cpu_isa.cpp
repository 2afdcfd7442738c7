#include "nabla/core/cpu_isa.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string>

namespace nabla {
namespace {

CpuIsa detect() {
  CpuIsa has = CpuIsa::portable;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    has = CpuIsa::avx2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw"))
      has = CpuIsa::avx512;
  }
  const char* cap = std::getenv("NABLA_MAX_CPU_ISA");
  if (!cap || !*cap) return has;
  std::string c(cap);
  for (char& ch : c) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  CpuIsa limit = CpuIsa::avx512;  // an unknown value caps nothing, as oneDNN treats its own
  if (c == "AVX2") limit = CpuIsa::avx2;
  if (c == "PORTABLE" || c == "DEFAULT" || c == "SSE41") limit = CpuIsa::portable;
  return int(limit) < int(has) ? limit : has;
}

}  // namespace

CpuIsa cpu_isa() {
  static const CpuIsa isa = detect();
  return isa;
}

CpuIsa cpu_isa_at_most(CpuIsa most) { return int(most) < int(cpu_isa()) ? most : cpu_isa(); }

const char* cpu_isa_name(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::avx512: return "avx512";
    case CpuIsa::avx2: return "avx2";
    case CpuIsa::portable: break;
  }
  return "portable";
}

}  // namespace nabla
