// read_idx on gzip-compressed IDX files. The first input byte picks the mode:
//   even: the rest is IDX data that the harness compresses, so the gzip path sees valid streams and the fuzzer
//         reaches the header and payload logic behind decompression (sizes unknown up front);
//   odd:  the rest is written as it is (a gzip stream of its own: corrupt, truncated or concatenated members).
#include <zlib.h>

#include "fuzz_util.h"
#include "nabla/data/readers/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  if (size == 0) return -1;
  const uint8_t* body = data + 1;
  const size_t n = size - 1;
  if (data[0] & 1) {
    file.write(body, n);
  } else {
    gzFile gz = gzopen(file.path().c_str(), "wb");
    if (!gz || (n && gzwrite(gz, body, unsigned(n)) != int(n)) || gzclose(gz) != Z_OK) {
      std::fprintf(stderr, "nabla fuzz: cannot write the gzip input\n");
      std::abort();
    }
  }
  nabla::fuzz::expect_clean([&] {
    nabla::Tensor t = nabla::data::read_idx(file.path());
    volatile uint8_t sink = 0;
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) sink = sink ^ p[i];
  });
  return 0;
}
