// nblite-infer: classifies IDX images (MNIST's format, raw or gzipped) with a quantized .nblite model on
// lite::Interpreter alone -- the program links nabla_lite_runtime (core, kernels, lite/runtime), no autograd,
// layers or training code.
//
//   nblite-infer m.nblite t10k-images-idx3-ubyte[.gz] [t10k-labels-idx1-ubyte[.gz]] [threads]
//
// Pixels are scaled to [0, 1] as the examples train on them; prints the accuracy when labels are given.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "nabla/lite/runtime/interpreter.h"

namespace {

// An IDX file: big-endian magic (0, 0, type 0x08 = u8, rank), the dims, then the bytes.
std::vector<uint8_t> read_idx(const std::string& path, std::vector<int64_t>& dims) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open");
  auto read = [&](void* p, unsigned n) {
    if (gzread(f, p, n) != int(n)) {
      gzclose(f);
      throw std::runtime_error(path + ": truncated IDX file");
    }
  };
  uint8_t magic[4];
  read(magic, 4);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4) {
    gzclose(f);
    throw std::runtime_error(path + ": not a u8 IDX file");
  }
  int64_t n = 1;
  for (int i = 0; i < magic[3]; ++i) {
    uint8_t b[4];
    read(b, 4);
    dims.push_back(int64_t(b[0]) << 24 | int64_t(b[1]) << 16 | int64_t(b[2]) << 8 | b[3]);
    n *= dims.back();
  }
  std::vector<uint8_t> data(static_cast<size_t>(n));
  for (size_t off = 0; off < data.size(); off += 1u << 30) read(data.data() + off, unsigned(std::min<size_t>(data.size() - off, 1u << 30)));
  gzclose(f);
  return data;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.nblite IMAGES.idx [LABELS.idx] [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    nabla::lite::Interpreter interp = nabla::lite::Interpreter::from_file(argv[1]);
    if (argc > 4) interp.set_num_threads(std::atoi(argv[4]));
    std::vector<int64_t> dims;
    const std::vector<uint8_t> images = read_idx(argv[2], dims);
    const int64_t n = dims[0], per = int64_t(images.size()) / std::max<int64_t>(n, 1);
    if (per != interp.input_size())
      throw std::runtime_error(std::string(argv[2]) + ": images of " + std::to_string(per) +
                               " values; the model takes " + std::to_string(interp.input_size()));
    std::vector<float> x(images.size());
    for (size_t i = 0; i < images.size(); ++i) x[i] = float(images[i]) / 255.f;
    const int64_t classes = interp.output_size();
    std::vector<float> y(size_t(n * classes));
    constexpr int64_t kBatch = 256;
    for (int64_t b = 0; b < n; b += kBatch)
      interp.invoke(x.data() + b * per, std::min(kBatch, n - b), y.data() + b * classes);
    std::vector<int64_t> pred(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t c = 1; c < classes; ++c)
        if (y[size_t(i * classes + c)] > y[size_t(i * classes + best)]) best = c;
      pred[size_t(i)] = best;
    }
    if (argc > 3) {
      std::vector<int64_t> ldims;
      const std::vector<uint8_t> labels = read_idx(argv[3], ldims);
      if (int64_t(labels.size()) != n) throw std::runtime_error(std::string(argv[3]) + ": label count differs");
      int64_t right = 0;
      for (int64_t i = 0; i < n; ++i) right += pred[size_t(i)] == labels[size_t(i)];
      std::printf("accuracy: %.4f (%lld images)\n", double(right) / double(n), static_cast<long long>(n));
    } else {
      for (int64_t i = 0; i < n; ++i) std::printf("%lld\n", static_cast<long long>(pred[size_t(i)]));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nblite-infer: %s\n", e.what());
    return 1;
  }
  return 0;
}
