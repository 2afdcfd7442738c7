// io::parse_keras_archive on the bytes of a .keras file: libzip, the JSON entries and the model.weights.h5 inside.
// A byte-level mutation of a zip almost always breaks an entry's CRC, and libzip then refuses the entry before the
// JSON or HDF5 reader sees it; so the custom mutator below mostly mutates *inside* one entry and writes the archive
// back (stored, with fresh CRCs), and only sometimes mutates the container itself.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "fuzz_util.h"
#include "nabla/io/keras_archive.h"
#include "nabla/io/zip_archive.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

// The archive with entry `target` replaced by `bytes`, written through a scratch file (ZipWriter writes paths).
std::string rezip(const nabla::io::ZipReader& in, const std::string& target, const std::string& bytes) {
  static nabla::fuzz::InputFile scratch;
  nabla::io::ZipWriter w(scratch.path() + ".zip");
  for (const std::string& name : in.entries()) w.add(name, name == target ? bytes : in.read(name));
  w.close();
  std::ifstream f(scratch.path() + ".zip", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::minstd_rand rng(seed);
  if (rng() % 8 == 0) return LLVMFuzzerMutate(data, size, max_size);
  try {
    nabla::io::ZipReader in =
        nabla::io::ZipReader::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "mutator");
    if (in.entries().empty()) return LLVMFuzzerMutate(data, size, max_size);
    const std::string& target = in.entries()[rng() % in.entries().size()];
    std::string bytes = in.read(target);
    const size_t used = bytes.size();
    bytes.resize(used + 64);
    bytes.resize(LLVMFuzzerMutate(reinterpret_cast<uint8_t*>(bytes.data()), used, bytes.size()));
    std::string out = rezip(in, target, bytes);
    if (out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
    std::copy(out.begin(), out.end(), data);
    return out.size();
  } catch (const nabla::Error&) {
    return LLVMFuzzerMutate(data, size, max_size);  // not a readable zip (any more): mutate the bytes
  }
}

// libhdf5 can loop on a corrupt image; the sandbox ends that with an IOError after its time limit (30 s), which
// must come before libFuzzer's own (-timeout=10 in scripts/fuzz), or the contained loop would count as a hang.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("NABLA_HDF5_SANITIZER_TIMEOUT", "3", /*overwrite=*/0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nabla::fuzz::expect_clean([&] {
    nabla::io::KerasArchive a =
        nabla::io::parse_keras_archive(std::string(reinterpret_cast<const char*>(data), size), "fuzz.keras");
    for (const auto& [path, vars] : a.weights.objects)
      for (const nabla::Tensor& t : vars.values) (void)t.numel();
  });
  return 0;
}
