#include <fstream>

#include "data_test_util.h"
#include "nabla/data/readers/csv.h"
#include "nabla/data/readers/text_line.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

namespace {
std::string write(const std::string& name, const std::string& text) {
  std::string p = temp_dir() + "/" + name;
  std::ofstream(p) << text;
  return p;
}
std::vector<std::string> lines(const Dataset& ds) {
  std::vector<std::string> out;
  auto it = ds.make_iterator();
  while (auto e = it.next()) out.push_back(tensor_string((*e)[0]));
  return out;
}
}  // namespace

TEST(DataReaders, TextLinesAcrossFiles) {
  auto a = write("a.txt", "one\ntwo\r\n");
  auto b = write("b.txt", "three");
  EXPECT_EQ(lines(text_line_dataset({a, b})), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(lines(text_line_dataset(a, 1)), (std::vector<std::string>{"two"}));
  expect_error_contains<IOError>([&] { lines(text_line_dataset({a, "/no/such/file.txt"})); }, {"/no/such/file.txt"});
}

TEST(DataReaders, InterleaveOverListedFiles) {
  std::string dir = temp_dir();
  std::ofstream(dir + "/0.txt") << "a0\na1\n";
  std::ofstream(dir + "/1.txt") << "b0\nb1\n";
  auto ds = Dataset::list_files(dir + "/*.txt", false).interleave(
      [](const Element& e) { return text_line_dataset(tensor_string(e[0])); }, 2, 1, 2);
  EXPECT_EQ(lines(ds), (std::vector<std::string>{"a0", "b0", "a1", "b1"}));
}

TEST(DataReaders, CsvFeaturesAndLabel) {
  auto p = write("d.csv", "a,b,label,c\n1,2.5,0,x\n3,,1,y\n\n5,6,2,z\n");
  CsvOptions o;
  o.select_columns = {"b", "a", "label"};
  o.label_column = "label";
  o.column_types = {{"label", i64}, {"a", i32}};
  o.column_defaults = {{"b", -1.0}};
  auto it = make_csv_dataset(p, o).make_iterator();
  std::vector<std::vector<float>> xs;
  std::vector<int64_t> ys;
  while (auto e = it.next()) {
    ASSERT_EQ(e->size(), 2u);
    xs.push_back((*e)[0].to_vector<float>());
    EXPECT_EQ((*e)[1].dtype(), i64);
    ys.push_back(int64_t((*e)[1].item()));
  }
  EXPECT_EQ(xs, (std::vector<std::vector<float>>{{1, 2.5f}, {3, -1}, {5, 6}}));
  EXPECT_EQ(ys, (std::vector<int64_t>{0, 1, 2}));
  // Batches like any other dataset.
  auto b = make_csv_dataset(p, o).batch(2).make_iterator().next();
  EXPECT_EQ((*b)[0].shape(), Shape({2, 2}));
}

TEST(DataReaders, CsvWithoutHeaderAndQuotedFields) {
  auto p = write("n.csv", "1;\"2\"\n3;4\n");
  CsvOptions o;
  o.header = false;
  o.delimiter = ';';
  o.column_names = {"x", "y"};
  auto r = rows(make_csv_dataset(p, o).map([](Element e) { return Element{e[0].to(i64)}; }).batch(2));
  EXPECT_EQ(r[0], (std::vector<int64_t>{1, 2, 3, 4}));
}

// Found by fuzz/csv_fuzz.cpp: a value out of the integer features dtype's range (or NaN, or a default out of the
// label's range) was converted anyway, which is undefined behaviour; now it is a PipelineError naming the place.
TEST(DataReaders, CsvValuesThatDoNotFitTheTargetDtypeAreErrors) {
  auto p = write("big.csv", "a,b,c\n1,2,3\n1e300,2,3\n");
  CsvOptions o;
  o.features_dtype = i32;
  auto drain = [](const Dataset& ds) {
    auto it = ds.make_iterator();
    while (it.next()) {
    }
  };
  expect_error_contains<PipelineError>([&] { drain(make_csv_dataset(p, o)); },
                                       {p + ":3", "column 'a' (1)", "1e300", "does not fit int32"});
  o.features_dtype = u8;
  expect_error_contains<PipelineError>([&] { drain(make_csv_dataset(write("n.csv", "a\nnan\n"), o)); },
                                       {"n.csv:2", "nan", "does not fit uint8"});
  auto q = write("def.csv", "a,c\n1,\n");
  CsvOptions l;
  l.label_column = "c";
  l.column_types = {{"c", u8}};
  l.column_defaults = {{"c", 300}};
  expect_error_contains<PipelineError>([&] { drain(make_csv_dataset(q, l)); },
                                       {q + ":2", "column 'c' (2)", "300 (its default)", "does not fit uint8"});
  // In range (fractions truncate toward zero, as a cast does).
  o.features_dtype = i32;
  auto it = make_csv_dataset(write("ok.csv", "a,b\n-2147483648,2.75\n"), o).make_iterator();
  EXPECT_EQ((*it.next())[0].to_vector<int32_t>(), (std::vector<int32_t>{-2147483647 - 1, 2}));
}

TEST(DataReaders, CsvErrorsNameFileLineAndColumn) {
  auto p = write("bad.csv", "a,b\n1,2\n3\n");
  expect_error_contains<PipelineError>([&] { rows(make_csv_dataset(p)); }, {p, ":3", "expected 2 fields, found 1"});
  auto q = write("bad2.csv", "a,b\n1,2\n3,x7\n");
  expect_error_contains<PipelineError>([&] { rows(make_csv_dataset(q)); }, {q, ":3", "column 'b' (2)", "'x7'"});
  auto i = write("bad3.csv", "a,b\n1.5,2\n");
  CsvOptions o;
  o.column_types = {{"a", i64}};
  expect_error_contains<PipelineError>([&] { rows(make_csv_dataset(i, o)); }, {i, ":2", "column 'a'", "int64"});
  auto m = write("bad4.csv", "a,b\n,2\n");
  expect_error_contains<PipelineError>([&] { rows(make_csv_dataset(m)); }, {m, ":2", "'a'", "no default"});
  expect_error_contains<IOError>([] { rows(make_csv_dataset(std::string("/no/such.csv"))); }, {"/no/such.csv"});
  CsvOptions s;
  s.select_columns = {"zz"};
  expect_error_contains<PipelineError>([&] { rows(make_csv_dataset(p, s)); }, {"'zz'", p});
}

}  // namespace nabla::data
