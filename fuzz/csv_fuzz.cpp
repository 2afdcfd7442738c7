// make_csv_dataset over one file. The first input byte picks the options, the rest is the file:
//   bit 0  header line (else column_names a, b, c)     bit 1  ';' as delimiter (else ',')
//   bit 2  label column "c"                            bits 3, 7  features float32, float64, int32, uint8
//   bit 4  column "b" parses as int32, "c" as uint8    bit 5  defaults for "a" and "c" (else empty is an error)
//   bit 6  select columns c and a (in that order)
#include "fuzz_util.h"
#include "nabla/data/readers/csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static nabla::fuzz::InputFile file;
  if (size == 0) return -1;
  const uint8_t flags = data[0];
  nabla::data::CsvOptions o;
  o.header = flags & 1;
  if (!o.header) o.column_names = {"a", "b", "c"};
  o.delimiter = flags & 2 ? ';' : ',';
  if (flags & 4) o.label_column = "c";
  static constexpr nabla::DType kFeatures[] = {nabla::f32, nabla::f64, nabla::i32, nabla::u8};
  o.features_dtype = kFeatures[((flags >> 3) & 1) | ((flags >> 6) & 2)];
  if (flags & 16) o.column_types = {{"b", nabla::i32}, {"c", nabla::u8}};
  if (flags & 32) o.column_defaults = {{"a", -1.5}, {"c", 7}};
  if (flags & 64) o.select_columns = {"c", "a"};
  file.write(data + 1, size - 1);
  nabla::fuzz::expect_clean([&] {
    auto it = nabla::data::make_csv_dataset(std::vector<std::string>{file.path()}, o).make_iterator();
    while (auto e = it.next()) {
      for (const nabla::Tensor& t : *e) (void)t.numel();
    }
  });
  return 0;
}
