// io::parse_keras_archive on the bytes of a .keras file: libzip, the JSON entries and the model.weights.h5 inside.
#include "fuzz_util.h"
#include "nabla/io/keras_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nabla::fuzz::expect_clean([&] {
    nabla::io::KerasArchive a =
        nabla::io::parse_keras_archive(std::string(reinterpret_cast<const char*>(data), size), "fuzz.keras");
    for (const auto& [path, vars] : a.weights.objects)
      for (const nabla::Tensor& t : vars.values) (void)t.numel();
  });
  return 0;
}
