#pragma once
// The .nblite file: a quantized model (lite/runtime/qmodel.h) in a compact, versioned, little-endian binary
// layout (docs/nblite.md): a 32-byte header (magic, version, header size, file size, CRC-32 of the body) and the
// body (model fields, tensors, ops with their int8 weights). Every count and offset is checked against the
// bytes that remain before anything is allocated; errors name the file and the byte offset.
#include <cstdint>
#include <string>
#include <string_view>

#include "nabla/lite/runtime/qmodel.h"

namespace nabla::lite {

inline constexpr char kNbliteMagic[8] = {'\x89', 'N', 'B', 'L', 'I', 'T', 'E', '\n'};
inline constexpr uint32_t kNbliteVersion = 1;
inline constexpr uint32_t kNbliteHeaderSize = 32;

std::string serialize_nblite(const QModel& m);
// `where` names the source in errors ("'m.nblite'"). check_crc = false skips the body checksum (the fuzz
// target, so that mutated bodies reach the parser); the model is validated either way.
QModel parse_nblite(std::string_view bytes, const std::string& where, bool check_crc = true);

// Written through a temporary name and renamed (core/atomic_file.h).
void write_nblite(const QModel& m, const std::string& path);
QModel read_nblite(const std::string& path);

}  // namespace nabla::lite
