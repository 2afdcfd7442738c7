#pragma once
// JSON <-> tensors as TF Serving's REST API writes them (tensorflow_serving/util/json_tensor.cc): requests in the
// row format ("instances": one item per example, objects for several named inputs) or the columnar format
// ("inputs": one value, or an object of named inputs); responses as "predictions" or "outputs" to match.
// Requests are parsed with rapidjson as TF Serving parses them (iteratively, so deep nesting cannot exhaust the
// stack; NaN, Infinity and -Infinity accepted: TF Serving reads and writes these tokens); floats are written the
// way TF Serving writes them (six significant digits unless that does not round-trip, then nine; whole numbers
// get ".0"). Error messages are TF Serving's, plus the input name and both shapes on a shape mismatch.
//
// {"b64": "..."}: TF Serving accepts it for DT_STRING tensors only. nabla's models have float inputs, so there a
// b64 value stands for the raw little-endian float32 bytes of the rest of the tensor from that level on (what
// tf.io.decode_raw reads), e.g. one 28x28 image per instance as 3136 bytes; those dimensions must be known from
// the signature.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/serve/signature.h"

namespace nabla::serve {

enum class JsonFormat { kRow, kColumnar };

struct PredictRequest {
  std::string signature_name;  // as given ("" = serving_default)
  JsonFormat format = JsonFormat::kRow;
  std::vector<Tensor> inputs;  // in the signature's input order, checked against its shapes
};

// The signature a request names; throws ServeError (InvalidArgument) for an unknown name.
using SignatureLookup = std::function<const Signature&(const std::string& signature_name)>;

// A :predict request. Throws ServeError(kInvalidArgument) naming the element, input and shapes at fault.
PredictRequest parse_predict_request(std::string_view body, const SignatureLookup& lookup);
// The response body for outputs in the signature's output order.
std::string predict_response_json(const Signature& sig, const std::vector<Tensor>& outputs, JsonFormat format);

// A :classify or :regress request checked as TF Serving checks it (an object with an "examples" list);
// returns its signature_name. Throws ServeError(kInvalidArgument).
std::string parse_classify_request(std::string_view body, bool classify);

// A float as TF Serving writes it (WriteDecimal).
std::string format_decimal(float v);
std::string base64_encode(std::string_view bytes);
// Standard or web-safe alphabet, padding optional. false on a malformed string.
bool base64_decode(std::string_view text, std::string* out);

}  // namespace nabla::serve
