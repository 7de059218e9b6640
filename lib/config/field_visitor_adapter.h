// Runs a schema visitor of lib/config (ReadVisitor, YamlWriteVisitor, FlatVisitor,
// ReferenceVisitor) behind the FieldVisitor interface, so that the keys a model family
// describes in its own folder are read, written and documented like every other key.
#pragma once
#include <functional>
#include <utility>

#include "lib/core/field_visitor.h"

namespace ssa::config {

// A section whose keys are described through FieldVisitor (see describe(V&, ErasedSection&)).
struct ErasedSection {
  std::function<void(FieldVisitor&)> body;
};

template <class V>
class VisitorAdapter final : public FieldVisitor {
 public:
  explicit VisitorAdapter(V& visitor) : v_(visitor) {}
  void field(const char* key, int64_t& value, const FieldSpec& spec) override { v_.field(key, value, spec); }
  void field(const char* key, double& value, const FieldSpec& spec) override { v_.field(key, value, spec); }
  void field(const char* key, bool& value, const FieldSpec& spec) override { v_.field(key, value, spec); }
  void field(const char* key, std::string& value, const FieldSpec& spec) override { v_.field(key, value, spec); }
  void field(const char* key, std::vector<std::string>& value, const FieldSpec& spec) override {
    v_.field(key, value, spec);
  }
  void field(const char* key, std::vector<int64_t>& value, const FieldSpec& spec) override {
    v_.field(key, value, spec);
  }
  void choice_index(const char* key, size_t& index, const ChoiceNames<size_t>& names, const FieldSpec& spec) override {
    v_.choice(key, index, names, spec);
  }
  void section(const char* key, const char* doc, const std::function<void(FieldVisitor&)>& body) override {
    ErasedSection sub{body};
    v_.section(key, sub, doc);
  }
  using FieldVisitor::choice;
  using FieldVisitor::section;

 private:
  V& v_;
};

// What the concrete visitors call for an ErasedSection: its body, through an adapter of the child.
template <class V>
void describe(V& v, ErasedSection& s) {
  VisitorAdapter<V> erased(v);
  s.body(erased);
}

}  // namespace ssa::config
