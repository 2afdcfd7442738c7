#pragma once
// IDX files (the format MNIST ships in): a 4-byte magic {0, 0, type code, ndims}, ndims big-endian u32
// dimensions, then the elements, big-endian, row-major. Files may be gzip-compressed; that is detected from
// the content (magic 1f 8b), not the name.
#include <string>

#include "nabla/core/tensor.h"

namespace nabla::data {

// Reads an IDX file, raw or gzip-compressed. Type codes map to dtypes as
//   0x08 u8 -> u8, 0x09 i8 -> i32, 0x0B i16 -> i32, 0x0C i32 -> i32, 0x0D f32 -> f32, 0x0E f64 -> f64,
// and the shape is the header's dimensions. Throws IOError naming the file (and, for bad content, the byte
// offset: for gzip files, the offset in the decompressed stream).
Tensor read_idx(const std::string& path);

// Writes t (u8, i32, f32 or f64; any layout) as an IDX file, gzip-compressed if asked. The data goes to a
// temporary file beside path that is then renamed, so a reader never sees a half-written file.
void write_idx(const std::string& path, const Tensor& t, bool gzip = false);

}  // namespace nabla::data
