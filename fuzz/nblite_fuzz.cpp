// lite::parse_nblite: the input is a .nblite file. The body's CRC-32 is not checked (a mutated body would never
// get past it; tests/lite checks the CRC), so mutations reach the field parser and QModel::validate. A model
// that parses and is small is also run by lite::Interpreter on a batch of two, so that the int8 kernels see the
// geometry it declares.
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "nabla/lite/runtime/interpreter.h"
#include "nabla/lite/runtime/nblite_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nabla::fuzz::expect_clean([&] {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    nabla::lite::QModel m = nabla::lite::parse_nblite(bytes, "'fuzz.nblite'", /*check_crc=*/false);
    // Big but valid graphs only make a run slow.
    int64_t elements = 0;
    for (size_t t = 0; t < m.tensors.size(); ++t) elements += m.numel(int32_t(t));
    if (elements > 1 << 14) return;
    for (const auto& op : m.ops)
      if (int64_t(op.kh) * op.kw > 64 || op.sh > 64 || op.sw > 64) return;
    nabla::lite::Interpreter interp(std::move(m));
    std::vector<float> x(size_t(2 * interp.input_size()), 0.5f), y(size_t(2 * interp.output_size()));
    interp.invoke(x.data(), 2, y.data());
  });
  return 0;
}
