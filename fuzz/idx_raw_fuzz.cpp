// read_idx on raw (uncompressed) IDX bytes: header, dimensions, payload size checks, decoding.
#include "fuzz_util.h"
#include "nabla/data/readers/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  // Gzip input has its own target; keep this one on the raw path.
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) return -1;
  nabla::fuzz::expect_clean([&] {
    nabla::Tensor t = nabla::data::read_idx(file.write(data, size));
    // A tensor that came back must be readable in full.
    volatile uint8_t sink = 0;
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) sink = sink ^ p[i];
  });
  return 0;
}
