#include "compute/infer_model.h"

#include "core/error.h"

namespace grid {
namespace {

std::string layer_list(const std::vector<int>& layers) {
  std::string out = "[";
  for (size_t i = 0; i < layers.size(); ++i) out += (i ? "," : "") + std::to_string(layers[i]);
  return out + "]";
}

}  // namespace

MlpModel infer_model(const std::string& bytes, const json& spec, const std::string& path) {
  MlpModel model;
  try {
    model = read_mlp_model(bytes);
  } catch (Error& e) {
    if (e.code() == Exit::data) e.at_field(path + ".sha256");
    throw;
  }
  if (spec.contains("loss")) {
    const MlpLoss said = spec["loss"] == "mse" ? MlpLoss::mse : MlpLoss::softmax_xent;
    if (model.has_loss && model.loss != said)
      throw data_error(std::string("the model was trained with ") +
                           (model.loss == MlpLoss::mse ? "mse" : "softmax_xent") + ", not " +
                           spec["loss"].get<std::string>(),
                       path + ".loss");
    model.loss = said;
    model.has_loss = true;
  } else if (!model.has_loss) {
    throw data_error("the model is a training checkpoint, which does not record its loss: name it "
                     "(softmax_xent: softmax outputs, mse: raw outputs)",
                     path + ".loss");
  }
  if (spec.contains("layers") && spec["layers"].get<std::vector<int>>() != model.layers)
    throw data_error("the model's layers are " + layer_list(model.layers) + ", not " + spec["layers"].dump(),
                     path + ".layers");
  return model;
}

}  // namespace grid
