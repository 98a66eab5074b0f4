//! The rules, one per file. Codes are stable: a retired rule's code is never reused. The rules
//! that need AWS API models (RB028-RB031) are in `runbook-aws` (`model::lint`), one per file in
//! the same form; `runbook::rules` joins the tables and keeps codes unique across crates.

mod attachment_name;
mod branch_condition;
mod cancel_target;
mod closed_cycle;
mod document_outputs;
mod document_size;
mod duplicate_step_name;
mod input_type;
mod invalid_field;
mod loop_limits;
mod max_attempts;
mod missing_input;
mod output_type;
mod parameter_default;
mod parameter_definition;
mod reference_before_run;
mod reference_placement;
mod reference_without_run;
mod schema_version;
mod selector_syntax;
mod sleep_input;
mod step_cycle;
mod step_name;
mod system_variable;
mod timeout_limit;
mod undefined_reference;
mod unknown_action;
mod unknown_input;
mod unknown_step_target;
mod unreachable_step;
mod unsupported_input;
mod update_variable;

use super::Rule;

/// Every rule, in code order.
pub static RULES: [Rule; 32] = [
    schema_version::RULE,
    invalid_field::RULE,
    step_name::RULE,
    duplicate_step_name::RULE,
    unknown_action::RULE,
    missing_input::RULE,
    unknown_input::RULE,
    input_type::RULE,
    unknown_step_target::RULE,
    cancel_target::RULE,
    unreachable_step::RULE,
    undefined_reference::RULE,
    reference_before_run::RULE,
    system_variable::RULE,
    reference_placement::RULE,
    parameter_default::RULE,
    output_type::RULE,
    selector_syntax::RULE,
    sleep_input::RULE,
    loop_limits::RULE,
    document_outputs::RULE,
    document_size::RULE,
    step_cycle::RULE,
    parameter_definition::RULE,
    branch_condition::RULE,
    update_variable::RULE,
    timeout_limit::RULE,
    // RB028-RB031 are the checks against the AWS API models, in the aws crate.
    reference_without_run::RULE,
    closed_cycle::RULE,
    max_attempts::RULE,
    attachment_name::RULE,
    unsupported_input::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_in_order() {
        for pair in RULES.windows(2) {
            assert!(pair[0].code.id < pair[1].code.id, "{} then {}", pair[0].code, pair[1].code);
            assert_ne!(pair[0].code.name, pair[1].code.name);
        }
    }
}
