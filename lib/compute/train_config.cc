#include "compute/train_config.h"

namespace grid {

MlpConfig train_config(const json& spec) {
  MlpConfig c;
  for (const json& w : spec["model"]["layers"]) c.layers.push_back(w.get<int>());
  c.loss = spec["loss"];
  const json& o = spec["optimizer"];
  c.optimizer = o["name"];
  c.lr = o["lr"].get<float>();
  c.momentum = o.value("momentum", c.momentum);
  c.beta1 = o.value("beta1", c.beta1);
  c.beta2 = o.value("beta2", c.beta2);
  c.eps = o.value("eps", c.eps);
  c.weight_decay = o.value("weight_decay", c.weight_decay);
  c.batch = spec["batch"];
  c.micro_batches = spec.value("micro_batches", 1);
  c.steps = spec["steps"];
  c.seed = spec["seed"];
  return c;
}

}  // namespace grid
