// io::parse_tfjs_model: the input is model.json, a NUL byte, then the bytes of every shard file the manifest
// names (each shard path reads the same bytes; a path starting with "missing" is an absent file).
#include <cstring>

#include "fuzz_util.h"
#include "nabla/io/tfjs_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* p = reinterpret_cast<const char*>(data);
  const char* nul = static_cast<const char*>(std::memchr(p, 0, size));
  const std::string_view json(p, nul ? size_t(nul - p) : size);
  const std::string shard = nul ? std::string(nul + 1, p + size) : std::string();
  nabla::fuzz::expect_clean([&] {
    auto reader = [&](const std::string& path) -> std::string {
      if (path.rfind("missing", 0) == 0) throw nabla::IOError("fuzz: no shard '" + path + "'");
      return shard;
    };
    nabla::io::TfjsModel m = nabla::io::parse_tfjs_model(json, reader, "fuzz/model.json");
    for (const auto& w : m.weights) (void)w.value.numel();
  });
  return 0;
}
