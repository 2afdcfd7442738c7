// The HDF5 readers on an in-memory file image. The first byte picks the reader: even, Keras 3's
// model.weights.h5 (io::read_keras_weights_h5); odd, legacy Keras H5 (io::parse_legacy_keras_h5). The rest is the file.
#include <cstdlib>

#include "fuzz_util.h"
#include "nabla/io/keras_legacy_h5.h"
#include "nabla/io/keras_weights_h5.h"

// libhdf5 allocates its metadata cache entries at sizes read from the file and fails cleanly when malloc returns
// null (an "H5C_protect" error, an IOError here); ASan would abort on the request instead.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }
// libhdf5 1.10.8 loses a few bytes of an object header it fails to decode (H5O cache deserialize error path,
// inside the library); nabla's own allocations are still checked.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5_serial.so\n"; }

// libhdf5 can loop on a corrupt image; the sandbox ends that with an IOError after its time limit (30 s), which
// must come before libFuzzer's own (-timeout=10 in scripts/fuzz), or the contained loop would count as a hang.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("NABLA_HDF5_SANITIZER_TIMEOUT", "3", /*overwrite=*/0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  const std::string_view image(reinterpret_cast<const char*>(data) + 1, size - 1);
  nabla::fuzz::expect_clean([&] {
    if (data[0] % 2 == 0) {
      nabla::io::KerasWeights w = nabla::io::read_keras_weights_h5(image, "fuzz.weights.h5");
      for (const auto& [path, vars] : w.objects)
        for (const nabla::Tensor& t : vars.values) (void)t.numel();
    } else {
      nabla::io::LegacyKerasH5 m = nabla::io::parse_legacy_keras_h5(image, "fuzz.h5");
      for (const auto& l : m.layers)
        for (const auto& [name, t] : l.weights) (void)t.numel();
    }
  });
  return 0;
}
