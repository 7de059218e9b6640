// Which model to build: a registered family's name (models/model_registry.h) and that family's
// own config struct, held by value. New families need no change here.
#pragma once
#include <any>
#include <string>

namespace ssa::models {

struct ModelConfig {
  ModelConfig();                 // the default family with its defaults (model_registry.cpp)
  std::string type;              // model.type: a registered family name
  std::string flavor;            // optional named preset the other keys override
  bool from_checkpoint = false;  // the shape was taken from a Hugging Face config.json (lib/config/imported_model.h)
  std::any settings;             // the config struct of family `type`

  // The family's config struct; throws Error(kInternal) when `type` holds another struct.
  template <class Config>
  const Config& as() const {
    return *checked<Config>(std::any_cast<Config>(&settings));
  }
  template <class Config>
  Config& as() {
    return *checked<Config>(std::any_cast<Config>(&settings));
  }

 private:
  template <class Config, class Pointer>
  Pointer checked(Pointer p) const {
    if (!p) fail_cast();
    return p;
  }
  [[noreturn]] void fail_cast() const;
};

}  // namespace ssa::models
