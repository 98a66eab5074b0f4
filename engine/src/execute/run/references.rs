//! References answered from the run's state: parameters, variables, step outputs (live inside
//! a loop), system and automation variables; and the `{{ }}` references in parameter defaults,
//! resolved once every parameter is bound.

use serde_json::Value;

use super::Run;
use crate::document::Parameter;
use crate::params::ParameterError;
use crate::value::{Missing, Strings, TargetRef, ValueTemplate, coerce};

impl Run {
    /// Resolves `{{ }}` references in parameter values that came from defaults (system
    /// variables and other parameters), once every parameter is bound.
    pub(super) fn resolve_parameter_templates(&mut self) -> Result<(), ParameterError> {
        let templated: Vec<(String, ValueTemplate, Option<&Parameter>)> = self
            .parameters
            .iter()
            .filter(|(_, value)| value.as_str().is_some_and(crate::template::may_have_references))
            .map(|(name, value)| {
                (
                    name.clone(),
                    ValueTemplate::from_json(value.clone(), &mut Strings::default()),
                    self.plan.document.parameter(name),
                )
            })
            .collect();
        for (name, template, parameter) in templated {
            // Nothing has run yet: a reference with no value is as wrong as one to nothing.
            let lookup = |target: TargetRef<'_>| match target {
                TargetRef::Parameter(other) if other == name => {
                    Err(Missing::Invalid(format!("the default of `{name}` refers to itself")))
                }
                _ => self.lookup(target).map_err(|missing| match missing {
                    Missing::NotYet(reason) | Missing::Invalid(reason) => Missing::Invalid(reason),
                }),
            };
            let value = template
                .resolve(&lookup, &mut Vec::new())
                .map_err(|message| ParameterError::default_reference(&name, &message))?;
            let ty = parameter.and_then(|p| p.ty.as_ref()).map(|ty| ty.value.value_type());
            let value = match ty {
                Some(ty) => coerce(&value, ty)
                    .map_err(|message| ParameterError::default_reference(&name, &message))?,
                None => value,
            };
            self.parameters.insert(name, value);
        }
        Ok(())
    }

    /// The value of a reference in the run's current state. A step output with no value yet
    /// is [`Missing::NotYet`] (RULINGS 12, 13); a reference to nothing is invalid.
    pub(crate) fn lookup(&self, target: TargetRef<'_>) -> Result<Value, Missing> {
        match target {
            TargetRef::Parameter(name) => self.parameters.get(name).cloned().ok_or_else(|| {
                Missing::Invalid(format!("`{{{{ {name} }}}}` is not a parameter of the runbook"))
            }),
            TargetRef::Variable(name) => self.variables.get(name).cloned().ok_or_else(|| {
                Missing::Invalid(format!(
                    "`{{{{ variable:{name} }}}}` is not a variable of the runbook"
                ))
            }),
            TargetRef::StepOutput { step, output } => self.step_output(step, output),
            TargetRef::Global(name) => self.global(name).map_err(Missing::Invalid),
            TargetRef::Automation("EXECUTION_ID") => {
                Ok(Value::String(self.environment.run_ref.execution_id.clone()))
            }
            TargetRef::Automation(name) => Err(Missing::Invalid(format!(
                "`{{{{ automation:{name} }}}}` is not an automation variable"
            ))),
            TargetRef::ParameterStore(name) => Err(Missing::Invalid(format!(
                "`{{{{ ssm:{name} }}}}` can only be read in a parameter default"
            ))),
            TargetRef::SecureParameterStore(name) => Err(Missing::Invalid(format!(
                "`{{{{ ssm-secure:{name} }}}}` can only be read in a parameter default"
            ))),
        }
    }

    pub(super) fn global(&self, name: &str) -> Result<Value, String> {
        let context = &self.host().context;
        let now = || self.host().clock.now();
        Ok(Value::String(match name {
            "ACCOUNT_ID" => context.account_id.clone(),
            "REGION" => context.region.clone(),
            "AWS_PARTITION" => context.partition.clone(),
            // RULINGS 18: UTC, taken when the template is evaluated.
            "DATE" => now().strftime("%Y-%m-%d").to_string(),
            "DATE_TIME" => now().strftime("%Y-%m-%d_%H.%M.%S").to_string(),
            other => return Err(format!("`{{{{ global:{other} }}}}` is not a system variable")),
        }))
    }

    pub(super) fn step_output(&self, step_name: &str, output: &str) -> Result<Value, Missing> {
        let Some(id) = self.plan.step_id(step_name) else {
            return Err(Missing::Invalid(format!(
                "`{{{{ {step_name}.{output} }}}}` refers to step `{step_name}`, which does not exist"
            )));
        };
        // Inside a loop, its iteration outputs are live.
        if let Some(frame) = self.loops.iter().rev().find(|frame| frame.loop_id == id) {
            match output {
                "CurrentIteration" => return Ok(Value::from(frame.iteration)),
                "CurrentIteratorValue" => {
                    if let Some(value) = &frame.iterator_value {
                        return Ok(value.clone());
                    }
                }
                _ => {}
            }
        }
        let Some(outputs) = self.outputs_of(id) else {
            return Err(Missing::NotYet(if self.ran[id] {
                format!("step `{step_name}` has no outputs: it did not succeed")
            } else {
                format!("step `{step_name}` has not run")
            }));
        };
        outputs.get(output).cloned().ok_or_else(|| {
            Missing::NotYet(format!(
                "step `{step_name}` has no output `{output}` (its selector matched nothing)"
            ))
        })
    }
}
