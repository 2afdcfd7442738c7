// JSON <-> tensors in TF Serving's row and columnar formats, and its error messages.
#include "nabla/serve/json_tensor.h"

#include <cmath>
#include <cstring>
#include <gtest/gtest.h>

#include "nabla/serve/serve_error.h"
#include "test_util.h"

namespace nabla::serve {
namespace {

Signature one_input(Shape shape = {-1, 2, 2}) {
  Signature s;
  s.inputs.push_back({"x", f32, shape, false});
  s.outputs.push_back({"y", f32, Shape{-1, 3}, false});
  return s;
}

Signature two_inputs() {
  Signature s;
  s.inputs.push_back({"a", f32, Shape{-1, 2}, false});
  s.inputs.push_back({"b", f32, Shape{-1}, false});
  s.outputs.push_back({"p", f32, Shape{-1, 2}, false});
  s.outputs.push_back({"q", f32, Shape{-1}, false});
  return s;
}

PredictRequest parse(const std::string& body, const Signature& sig) {
  return parse_predict_request(body, [&](const std::string& name) -> const Signature& {
    if (!name.empty() && name != "serving_default")
      throw ServeError(StatusCode::kInvalidArgument, "Serving signature name: \"" + name + "\" not found in signature def");
    return sig;
  });
}

std::vector<float> values(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

// Expects an INVALID_ARGUMENT whose message contains every part.
void expect_invalid(const std::string& body, const Signature& sig, const std::vector<std::string>& parts) {
  try {
    parse(body, sig);
    ADD_FAILURE() << "no error for " << body;
  } catch (const ServeError& e) {
    EXPECT_EQ(e.code, StatusCode::kInvalidArgument);
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\nmissing: " << p;
  }
}

TEST(JsonTensor, RowFormatStacksInstances) {
  PredictRequest r = parse(R"({"instances": [[[1, 2], [3, 4]], [[5, 6], [7, 8.5]]]})", one_input());
  EXPECT_EQ(r.format, JsonFormat::kRow);
  ASSERT_EQ(r.inputs.size(), 1u);
  EXPECT_EQ(r.inputs[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values(r.inputs[0]), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8.5f}));
}

TEST(JsonTensor, ColumnarFormatTakesTheWholeTensor) {
  PredictRequest r = parse(R"({"signature_name": "serving_default", "inputs": [[[1, 2], [3, 4]]]})", one_input());
  EXPECT_EQ(r.format, JsonFormat::kColumnar);
  EXPECT_EQ(r.inputs[0].shape(), (Shape{1, 2, 2}));
}

TEST(JsonTensor, NamedInputsInBothFormats) {
  PredictRequest row = parse(R"({"instances": [{"a": [1, 2], "b": 3}, {"b": 6, "a": [4, 5]}]})", two_inputs());
  ASSERT_EQ(row.inputs.size(), 2u);
  EXPECT_EQ(values(row.inputs[0]), (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(values(row.inputs[1]), (std::vector<float>{3, 6}));
  PredictRequest col = parse(R"({"inputs": {"b": [3, 6], "a": [[1, 2], [4, 5]]}})", two_inputs());
  EXPECT_EQ(values(col.inputs[0]), values(row.inputs[0]));
  EXPECT_EQ(col.inputs[1].shape(), (Shape{2}));
}

TEST(JsonTensor, NanAndInfinityTokensOutsideStrings) {
  PredictRequest r = parse(R"({"instances": [[[NaN, Infinity], [-Infinity, -Inf]]], "note": "NaN Infinity"})",
                           one_input());
  const auto v = values(r.inputs[0]);
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_EQ(v[1], INFINITY);
  EXPECT_EQ(v[2], -INFINITY);
  EXPECT_EQ(v[3], -INFINITY);
}

TEST(JsonTensor, B64IsRawFloat32BytesOfTheRestOfTheTensor) {
  const float row[4] = {1.5f, -2, 3, 4};
  const std::string b64 = base64_encode(std::string(reinterpret_cast<const char*>(row), sizeof row));
  PredictRequest r = parse(R"({"instances": [{"b64": ")" + b64 + R"("}, [[0, 0], [0, 1]]]})", one_input());
  EXPECT_EQ(r.inputs[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(values(r.inputs[0]), (std::vector<float>{1.5f, -2, 3, 4, 0, 0, 0, 1}));
  expect_invalid(R"({"instances": [{"b64": "AAAA"}]})", one_input(), {"decodes to 3 bytes", "needs 16 bytes"});
  expect_invalid(R"({"instances": [{"b64": "!!"}]})", one_input(), {"Unable to base64 decode"});
}

TEST(JsonTensor, Base64RoundTrip) {
  for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(s), &back));
    EXPECT_EQ(back, s);
  }
  std::string out;
  EXPECT_TRUE(base64_decode("aW1hZ2UgYnl0ZXM=", &out));
  EXPECT_EQ(out, "image bytes");
}

TEST(JsonTensor, MalformedAndTruncatedJson) {
  expect_invalid("", one_input(), {"JSON Parse error: The document is empty"});
  expect_invalid(R"({"instances": [[1, 2)", one_input(), {"JSON Parse error", "at offset"});
  expect_invalid(R"({"instances": [1,, 2]})", one_input(), {"JSON Parse error"});
  // Found by serve_request_fuzz (with nlohmann-json, whose out_of_range escaped as a 500): a 400 now.
  expect_invalid(R"({"instances": [99999999999999999999999e999999999998]})", one_input(), {"JSON Parse error"});
  expect_invalid("[1, 2]", one_input(), {"JSON Value: [1,2] Is not object"});
  expect_invalid(R"({"instances": [1], "inputs": [1]})", one_input(), {"expecting only one of 'inputs' or 'instances'"});
  expect_invalid(R"({"instances": 3})", one_input(), {"Expecting 'instances' to be an list/array"});
  expect_invalid(R"({"instances": []})", one_input(), {"No values in 'instances' array"});
  expect_invalid(R"({"signature_name": 5, "instances": [1]})", one_input(), {"'signature_name' key must be a string"});
  expect_invalid(R"({"signature_name": "other", "instances": [1]})", one_input(), {"Serving signature name: \"other\""});
  expect_invalid(R"({"nothing": 1})", one_input(), {"Missing 'inputs' or 'instances' key"});
}

TEST(JsonTensor, WrongShapesNameTheInputAndBothShapes) {
  expect_invalid(R"({"instances": [[1, 2, 3, 4]]})", one_input(), {"Input 'x'", "[1,4]", "[-1,2,2]"});
  expect_invalid(R"({"inputs": [[1, 2], [3, 4]]})", one_input(), {"Input 'x'", "[2,2]", "[-1,2,2]"});
  expect_invalid(R"({"instances": [[[1, 2], [3, 4]], [[1, 2]]]})", one_input(),
                 {"Failed to process element: 1 of 'instances' list", "Expecting tensor size: 4 but got: 2"});
  expect_invalid(R"({"instances": [[[1, 2], [3]]]})", one_input(), {"Encountered list at unexpected size: 1"});
  expect_invalid(R"({"instances": [[[1, 2], 3]]})", one_input(), {"found at incorrect level"});
  expect_invalid(R"({"instances": [{"a": [1, 2]}]})", two_inputs(), {"keys must be equal to: a,b"});
  expect_invalid(R"({"instances": [{"a": [1, 2], "b": 1, "c": 2}]})", two_inputs(), {"does not have named input: c"});
  expect_invalid(R"({"instances": [[1, 2]]})", two_inputs(), {"instances is a plain list"});
  expect_invalid(R"({"inputs": {"a": [[1, 2]]}})", two_inputs(), {"Missing named input: b in 'inputs' object."});
  expect_invalid(R"({"inputs": {"a": [[1, 2]], "b": [1, 2]}})", two_inputs(), {"Input 'b'", "batch size differs"});
  expect_invalid("{\"instances\": " + std::string(20, '[') + std::string(20, ']') + "}", one_input(),
                 {"deeper than 8 levels"});
}

TEST(JsonTensor, WrongDtypes) {
  expect_invalid(R"({"instances": [[["a", 2], [3, 4]]]})", one_input(), {"JSON Value: \"a\" Type: String is not of expected type: float"});
  expect_invalid(R"({"instances": [[[true, 2], [3, 4]]]})", one_input(), {"Type: True"});
  expect_invalid(R"({"instances": [[[null, 2], [3, 4]]]})", one_input(), {"Type: Null"});
}

TEST(JsonTensor, FloatsAreWrittenAsTfServingDoes) {
  EXPECT_EQ(format_decimal(1.0f), "1.0");
  EXPECT_EQ(format_decimal(0.2f), "0.2");
  EXPECT_EQ(format_decimal(-3.5f), "-3.5");
  EXPECT_EQ(format_decimal(1e-5f), "1e-05");
  EXPECT_EQ(format_decimal(0.1234567f), "0.123456702");  // six digits do not round-trip
  EXPECT_EQ(format_decimal(NAN), "NaN");
  EXPECT_EQ(format_decimal(INFINITY), "Infinity");
  EXPECT_EQ(format_decimal(-INFINITY), "-Infinity");
}

TEST(JsonTensor, ResponsesInRowAndColumnarFormat) {
  Signature one = one_input();
  Tensor y = Tensor::from_vector(std::vector<float>{1, 0.5f, NAN, 2, 3, 4}, Shape{2, 3});
  EXPECT_EQ(predict_response_json(one, {y}, JsonFormat::kRow), R"({"predictions": [[1.0, 0.5, NaN], [2.0, 3.0, 4.0]]})");
  EXPECT_EQ(predict_response_json(one, {y}, JsonFormat::kColumnar), R"({"outputs": [[1.0, 0.5, NaN], [2.0, 3.0, 4.0]]})");
  Signature two = two_inputs();
  Tensor q = Tensor::from_vector(std::vector<float>{7, 8}, Shape{2});
  Tensor p = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, Shape{2, 2});
  EXPECT_EQ(predict_response_json(two, {p, q}, JsonFormat::kRow),
            R"({"predictions": [{"p": [1.0, 2.0], "q": 7.0}, {"p": [3.0, 4.0], "q": 8.0}]})");
  EXPECT_EQ(predict_response_json(two, {p, q}, JsonFormat::kColumnar),
            R"({"outputs": {"p": [[1.0, 2.0], [3.0, 4.0]], "q": [7.0, 8.0]}})");
  // The response reads back as a request (NaN included).
  std::string body = predict_response_json(one, {y}, JsonFormat::kRow);
  body.replace(body.find("predictions"), 11, "instances");
  Signature back;
  back.inputs.push_back({"y", f32, Shape{-1, 3}, false});
  const auto v = values(parse(body, back).inputs[0]);
  EXPECT_EQ(v[1], 0.5f);
  EXPECT_TRUE(std::isnan(v[2]));
}

TEST(JsonTensor, DeepAndLargeValuesKeepErrorMessagesShort) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  try {
    parse("{\"instances\": " + deep + "}", one_input());
    ADD_FAILURE();
  } catch (const ServeError& e) {
    EXPECT_LT(std::string(e.what()).size(), 600u);
  }
  expect_invalid("{\"x\": " + deep + "}", one_input(), {"Missing 'inputs' or 'instances' key"});
  try {
    parse("{\"instances\": [\"" + std::string(100000, 'a') + "\"]}", one_input());
    ADD_FAILURE();
  } catch (const ServeError& e) {
    EXPECT_LT(std::string(e.what()).size(), 600u);
  }
}

TEST(JsonTensor, ClassifyRequests) {
  EXPECT_EQ(parse_classify_request(R"({"signature_name": "s", "examples": [{"x": 1}]})", true), "s");
  EXPECT_THROW(parse_classify_request(R"({"examples": []})", true), ServeError);
  EXPECT_THROW(parse_classify_request(R"({"context": {}})", false), ServeError);
  EXPECT_THROW(parse_classify_request("[", false), ServeError);
}

}  // namespace
}  // namespace nabla::serve
