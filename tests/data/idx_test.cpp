#include "nabla/data/readers/idx.h"

#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "test_util.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;
using data::read_idx;
using data::write_idx;
using Bytes = std::vector<uint8_t>;

void write_bytes(const std::string& path, const Bytes& b, bool gzip = false) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    if (!b.empty()) {
      ASSERT_EQ(gzwrite(f, b.data(), unsigned(b.size())), int(b.size()));
    }
    ASSERT_EQ(gzclose(f), Z_OK);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Bit-exact comparison, so that NaN, -0 and infinities count as round-tripped.
void expect_identical(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.shape(), b.shape());
  Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes()), 0);
}

std::vector<Tensor> sample_tensors() {
  const float inf = std::numeric_limits<float>::infinity();
  return {
      Tensor::from_vector<uint8_t>({0, 1, 127, 128, 255, 42}, {2, 3}),
      Tensor::from_vector<int32_t>({0, -1, 1, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                                    123456789, -98765}),
      Tensor::from_vector<float>({0.f, -0.f, 1.5f, -2.25e-30f, inf, -inf, std::nanf(""), 3.4e38f}, {2, 2, 2}),
      Tensor::from_vector<double>({1e-300, -1e300, 0.1, -0.0}, {2, 1, 2}),
      Tensor::zeros({0, 28}, u8),
      Tensor::scalar(7.0, f64),
  };
}

TEST(Idx, RoundTripRawAndGzipEachDtype) {
  std::string dir = testing::temp_dir();
  for (bool gzip : {false, true}) {
    int i = 0;
    for (const Tensor& t : sample_tensors()) {
      SCOPED_TRACE(::testing::Message() << "gzip " << gzip << ", " << dtype_name(t.dtype()) << " " << t.shape());
      std::string path = dir + "/t" + std::to_string(i++) + (gzip ? ".gz" : "");
      write_idx(path, t, gzip);
      expect_identical(read_idx(path), t);
      Bytes head = read_bytes(path);
      ASSERT_GE(head.size(), 2u);
      EXPECT_EQ(head[0] == 0x1f && head[1] == 0x8b, gzip);
    }
  }
  // Nothing left behind but the targets: the temporary files were renamed.
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Idx, WritesBigEndianHeaderAndData) {
  std::string path = testing::temp_dir() + "/x.idx";
  write_idx(path, Tensor::from_vector<int32_t>({1, -2, 0x01020304}, {1, 3}));
  EXPECT_EQ(read_bytes(path), (Bytes{0, 0, 0x0C, 2, 0, 0, 0, 1, 0, 0, 0, 3,  //
                                     0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 1, 2, 3, 4}));
}

TEST(Idx, WritesNonContiguousInLogicalOrder) {
  std::string path = testing::temp_dir() + "/t.idx";
  Tensor t = Tensor::arange(6, f32).reshape({2, 3}).t();
  write_idx(path, t);
  expect_identical(read_idx(path), t.contiguous());
}

TEST(Idx, GzipIsDetectedFromContentNotName) {
  std::string path = testing::temp_dir() + "/no_suffix";
  Tensor t = Tensor::from_vector<uint8_t>({9, 8, 7});
  write_idx(path, t, /*gzip=*/true);
  expect_identical(read_idx(path), t);
}

TEST(Idx, ReadsNarrowSignedTypesAsInt32) {
  std::string dir = testing::temp_dir();
  for (bool gzip : {false, true}) {
    write_bytes(dir + "/i8", {0, 0, 0x09, 1, 0, 0, 0, 4, 0x00, 0x7f, 0x80, 0xff}, gzip);
    Tensor a = read_idx(dir + "/i8");
    EXPECT_EQ(a.dtype(), i32);
    EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 127, -128, -1}));

    write_bytes(dir + "/i16", {0, 0, 0x0B, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0x01, 0x02, 0x80, 0x00, 0xff, 0xfe}, gzip);
    Tensor b = read_idx(dir + "/i16");
    EXPECT_EQ(b.dtype(), i32);
    EXPECT_EQ(b.shape(), Shape({1, 3}));
    EXPECT_EQ(b.to_vector<int32_t>(), (std::vector<int32_t>{258, -32768, -2}));
  }
}

TEST(Idx, MissingFileNamesPath) {
  std::string path = testing::temp_dir() + "/does-not-exist-idx3-ubyte";
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path, "No such file"});
}

TEST(Idx, BadMagicNamesFileOffsetAndBytes) {
  std::string path = testing::temp_dir() + "/archive.zip";
  write_bytes(path, {'P', 'K', 3, 4, 20, 0});
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path, "offset 0", "50 4b 03 04"});
  // A gzip file whose content is not IDX says so of the decompressed stream.
  write_bytes(path, {1, 2, 3, 4}, /*gzip=*/true);
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path, "offset 0", "01 02 03 04", "decompressed"});
}

TEST(Idx, UnknownTypeCodeNamesOffset2) {
  std::string path = testing::temp_dir() + "/t.idx";
  write_bytes(path, {0, 0, 0x07, 1, 0, 0, 0, 1, 5});
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path, "offset 2", "0x07"});
}

TEST(Idx, TruncatedDataNamesFileOffsetAndCounts) {
  std::string dir = testing::temp_dir();
  std::string path = dir + "/train-images-idx3-ubyte";
  write_idx(path, Tensor::zeros({10, 28, 28}, u8));
  fs::resize_file(path, 16 + 1000);  // header is 16 bytes; 7840 data bytes expected
  testing::expect_error_contains<IOError>([&] { read_idx(path); },
                                          {path, "truncated", "offset 1016", "expected 7840", "1000 present"});

  // The same, compressed: offsets are in the decompressed stream.
  Bytes raw = read_bytes(path);
  std::string gz = dir + "/train-images-idx3-ubyte.gz";
  write_bytes(gz, raw, /*gzip=*/true);
  testing::expect_error_contains<IOError>([&] { read_idx(gz); },
                                          {gz, "offset 1016", "decompressed", "expected 7840", "1000 present"});

  // Cutting the gzip file itself short.
  write_idx(gz, Tensor::ones({100, 28, 28}, u8), /*gzip=*/true);
  Bytes whole = read_bytes(gz);
  write_bytes(path, Bytes(whole.begin(), whole.begin() + long(whole.size() / 2)));
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path});
}

TEST(Idx, TruncatedHeader) {
  std::string path = testing::temp_dir() + "/t.idx";
  write_bytes(path, {});
  testing::expect_error_contains<IOError>([&] { read_idx(path); }, {path, "offset 0", "expected 4", "0 present"});
  write_bytes(path, {0, 0, 0x08, 3, 0, 0, 0, 5, 0, 0});
  testing::expect_error_contains<IOError>([&] { read_idx(path); },
                                          {path, "offset 10", "dimensions", "expected 12", "6 present"});
}

TEST(Idx, EveryTruncationOfAValidFileIsAnIOError) {
  std::string dir = testing::temp_dir();
  for (bool gzip : {false, true}) {
    Bytes full = {0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0,
                  0x40, 0x40, 0, 0, 0x40, 0x80, 0, 0};
    for (size_t n = 0; n < full.size(); ++n) {
      std::string path = dir + "/cut";
      write_bytes(path, Bytes(full.begin(), full.begin() + long(n)), gzip);
      EXPECT_THROW(read_idx(path), IOError) << n << " bytes, gzip " << gzip;
    }
    write_bytes(dir + "/whole", full, gzip);
    EXPECT_EQ(read_idx(dir + "/whole").to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
  }
}

TEST(Idx, CorruptHeadersDoNotAllocateOrCrash) {
  std::string dir = testing::temp_dir();
  // Too many dimensions for a tensor.
  write_bytes(dir + "/a", {0, 0, 0x08, 9});
  testing::expect_error_contains<IOError>([&] { read_idx(dir + "/a"); }, {"offset 3", "9 dimensions"});
  // Dimensions whose product overflows.
  Bytes huge = {0, 0, 0x0E, 8};
  for (int i = 0; i < 8; ++i) huge.insert(huge.end(), {0xff, 0xff, 0xff, 0xff});
  for (bool gzip : {false, true}) {
    write_bytes(dir + "/b", huge, gzip);
    testing::expect_error_contains<IOError>([&] { read_idx(dir + "/b"); }, {dir + "/b", "corrupt"});
  }
  // A plausible-looking but enormous claim (about 68 GB) over a tiny file.
  Bytes big = {0, 0, 0x08, 2, 0, 0xff, 0xff, 0xff, 0, 0, 0x0f, 0xff, 1, 2, 3};
  for (bool gzip : {false, true}) {
    write_bytes(dir + "/c", big, gzip);
    testing::expect_error_contains<IOError>([&] { read_idx(dir + "/c"); }, {dir + "/c", "3 present"});
  }
  // Gzip magic followed by garbage.
  write_bytes(dir + "/d", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff});
  EXPECT_THROW(read_idx(dir + "/d"), IOError);
}

// Issue 19: found by fuzzing. 7 dimensions, one of them 0, so the payload is empty and the size check passed,
// but the other dimensions overflowed the strides (UBSan: signed integer overflow in contiguous_strides).
TEST(Idx, ZeroDimensionBesideHugeOnesIsRejectedWithOffset) {
  std::string dir = testing::temp_dir();
  const Bytes header = {0x00, 0x00, 0x08, 0x07, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x08, 0x07, 0x00, 0x00,
                        0x00, 0x14, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05};
  for (bool gzip : {false, true}) {
    write_bytes(dir + "/zero", header, gzip);
    testing::expect_error_contains<IOError>([&] { read_idx(dir + "/zero"); },
                                            {dir + "/zero", "byte offset 4", "(20, 0, 134676480, 1310720, 1835008, 1835009, 33752069)",
                                             "too large"});
  }
  // A zero beside dimensions whose product fits is a valid empty tensor.
  write_bytes(dir + "/ok", {0, 0, 0x08, 3, 0, 0, 0, 0x14, 0, 0, 0, 0, 0x08, 0x07, 0, 0});
  EXPECT_EQ(read_idx(dir + "/ok").shape(), Shape({20, 0, 134676480}));
}

TEST(Idx, WriteErrors) {
  std::string dir = testing::temp_dir();
  testing::expect_error_contains<ValueError>([&] { write_idx(dir + "/x", Tensor::zeros({2}, i64)); },
                                             {dir + "/x", "int64"});
  std::string bad = dir + "/no/such/dir/x.idx";
  testing::expect_error_contains<IOError>([&] { write_idx(bad, Tensor::zeros({2}, u8)); }, {bad});
  EXPECT_FALSE(fs::exists(bad));
}

}  // namespace
}  // namespace nabla
