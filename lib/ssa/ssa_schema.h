// The config keys of SSA (model.ssa.* of every family that uses it), described through the
// FieldVisitor interface so model families can include them in their own schema.
#pragma once
#include "lib/core/field_visitor.h"
#include "lib/ssa/graph_ssa_config.h"
#include "lib/ssa/ssa_config.h"

namespace ssa::attn {

void describe(config::FieldVisitor& v, SsaConfig& c);
void describe(config::FieldVisitor& v, GraphSsaConfig& c);

}  // namespace ssa::attn
