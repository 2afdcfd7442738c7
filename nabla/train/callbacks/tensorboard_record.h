#pragma once
// TFRecord framing, the container of TensorBoard event files: each record is
//   uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)     (little-endian)
// CRC32C is the Castagnoli CRC (iSCSI polynomial 0x1EDC6F41, reflected 0x82F63B78). Debian 12 packages no
// CRC32C library for C++ (no libcrc32c-dev; its abseil, 20220623, predates absl/crc; leveldb keeps its copy
// internal), so it is a table implementation here, checked against the RFC 3720 test vectors.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::tensorboard {

uint32_t crc32c(std::string_view data);
// TensorFlow's masking (crc32c.h's Mask): rotate right by 15 and add a constant, so that a CRC of data that
// itself contains CRCs stays well distributed.
uint32_t mask_crc(uint32_t crc);
uint32_t unmask_crc(uint32_t masked);

// One framed record.
std::string tfrecord(std::string_view data);
// Every record of a TFRecord file, with both CRCs checked; throws IOError naming the file, the record's index
// and its byte offset on a bad length CRC, a bad data CRC or a truncated record.
std::vector<std::string> read_tfrecords(const std::string& path);

}  // namespace nabla::tensorboard
