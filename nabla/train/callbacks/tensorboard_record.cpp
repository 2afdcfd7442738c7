#include "nabla/train/callbacks/tensorboard_record.h"

#include <array>
#include <cstring>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"

namespace nabla::tensorboard {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Castagnoli, reflected
constexpr uint32_t kMaskDelta = 0xa282ead8u;

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = make_table();

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

// Byte-at-a-time: event files are a few kilobytes per epoch, far from where a faster CRC would show.
uint32_t crc32c(std::string_view data) {
  uint32_t c = 0xffffffffu;
  for (unsigned char b : data) c = kTable[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t mask_crc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

uint32_t unmask_crc(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

std::string tfrecord(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, mask_crc(crc32c(std::string_view(out.data(), 8))), 4);
  out.append(data);
  put_le(out, mask_crc(crc32c(data)), 4);
  return out;
}

std::vector<std::string> read_tfrecords(const std::string& path) {
  const std::string bytes = read_file(path, "read_tfrecords");
  std::vector<std::string> records;
  size_t pos = 0;
  auto fail = [&](const std::string& why) {
    throw IOError("read_tfrecords: '" + path + "': record " + std::to_string(records.size()) + " at offset " +
                  std::to_string(pos) + ": " + why);
  };
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 12) fail("truncated header");
    const uint64_t len = get_le(bytes.data() + pos, 8);
    if (unmask_crc(uint32_t(get_le(bytes.data() + pos + 8, 4))) != crc32c(std::string_view(bytes.data() + pos, 8)))
      fail("length CRC mismatch");
    if (len > bytes.size() - pos - 12 || bytes.size() - pos - 12 - len < 4) fail("truncated data");
    std::string_view data(bytes.data() + pos + 12, len);
    if (unmask_crc(uint32_t(get_le(bytes.data() + pos + 12 + len, 4))) != crc32c(data)) fail("data CRC mismatch");
    records.emplace_back(data);
    pos += 16 + len;
  }
  return records;
}

}  // namespace nabla::tensorboard
