//! `runbook run --remote`: the run on the service itself. The runbook is deployed (as
//! `runbook deploy` does), started with `StartAutomationExecution` and followed with the live
//! progress of a local run; `--output json` prints the service's record in the shape of a local
//! one, and the exit codes are those of a local run. `--execution-id` follows an execution
//! already started instead.
//!
//! The first Ctrl-C stops the execution on the service and follows it to its end; a second
//! leaves it running there and prints its id.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use runbook::service::{FollowError, Followed, Follower, Polling, StartRequest, start};
use runbook_engine::catalog::ValueType;
use runbook_engine::execute::CancelToken;
use runbook_engine::host::SystemClock;
use runbook_engine::record::{Execution, Status, as_string_list, as_text};
use serde_json::Value;

use super::super::Outcome;
use super::super::deploy::{self, DeployArgs};
use super::super::progress::{self, Progress};
use super::super::service::{self, Connection, fail};
use super::{Args, OutputMode};

/// The options of `runbook run` for runs on the service.
#[derive(Debug, clap::Args)]
pub(crate) struct RemoteArgs {
    /// Run on the service: deploy the runbook as `runbook deploy` does, start it there and
    /// follow it with the same progress as a local run. With --execution-id and no RUNBOOK,
    /// follow an execution already started instead.
    #[arg(long, group = "service")]
    pub(crate) remote: bool,
    /// With --remote: the document's name in the account (default: the file's name without
    /// its extension).
    #[arg(long, value_name = "NAME", requires = "remote")]
    name: Option<String>,
    /// With --remote: the S3 bucket the runbook's script attachments are uploaded to.
    #[arg(long, value_name = "BUCKET", requires = "remote")]
    attachments_bucket: Option<String>,
    /// With --remote: print the execution as it is once started (or, with --execution-id, as
    /// it is now) instead of following it.
    #[arg(long, requires = "remote")]
    no_wait: bool,
    /// With --remote: stop following after DURATION (`90s`, `15m`, `2h`), leaving the
    /// execution running on the service; the command prints its id and exits 1.
    #[arg(long, value_name = "DURATION", requires = "remote", value_parser = parse_duration)]
    patience: Option<Duration>,
    /// With --remote: the first wait between two polls of the execution (default 2s). It grows
    /// while nothing changes and doubles whenever the service throttles, up to 30s (or this,
    /// when longer).
    #[arg(long, value_name = "DURATION", requires = "remote", value_parser = parse_duration)]
    poll_interval: Option<Duration>,
    /// With --remote and --mocks: once the run on the service has ended, run the runbook
    /// locally on the mocks with the same parameters and targets, and print how the two records
    /// differ, as `runbook diff LOCAL REMOTE` does (exit 0 when they agree, 1 when not).
    #[arg(long, requires_all = ["remote", "mocks"], conflicts_with_all = ["no_wait", "patience"])]
    compare_local: bool,
}

/// `90s`, `15m`, `2h`, `250ms`, or seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: write 250ms, 90s, 15m or 2h"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(format!("`{text}` is not a duration: write 250ms, 90s, 15m or 2h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("`{text}`: {error}"))
}

/// The options of local runs that a run on the service cannot honour.
fn refused(args: &Args, from_live: &[&'static str]) -> Vec<&'static str> {
    let mut refused = from_live.to_vec();
    let given = [
        (args.mocks.is_some() && !args.remote.compare_local, "--mocks"),
        (args.record.is_some(), "--record"),
        (args.approve.is_some(), "--approve"),
        (!args.documents.is_empty(), "--documents"),
        (args.python.is_some(), "--python"),
        (args.max_step_executions.is_some(), "--max-step-executions"),
        (args.show_secrets, "--show-secrets"),
    ];
    refused.extend(given.iter().filter(|(given, _)| *given).map(|(_, flag)| *flag));
    refused
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    let flags = args.live.for_service();
    let refused = refused(args, &flags.refused);
    if !refused.is_empty() {
        return Ok(fail(&format!(
            "--remote runs on the service: {} only apply to local runs",
            refused.join(", ")
        )));
    }
    let polling = {
        let interval = args.remote.poll_interval.unwrap_or(Polling::default().interval);
        Polling { interval, max_interval: Polling::default().max_interval.max(interval) }
    };
    let follow_only = match (&args.runbook, &args.execution_id) {
        (None, None) => {
            return Ok(fail(
                "--remote needs a RUNBOOK to run on the service, or --execution-id ID to follow an execution already started",
            ));
        }
        (Some(_), Some(_)) => {
            return Ok(fail(
                "--remote with a RUNBOOK starts a new execution, whose id the service chooses: \
                 give --execution-id without a RUNBOOK to follow one already started",
            ));
        }
        (None, Some(id)) => {
            if !runbook_engine::execute::is_execution_id(id) {
                return Ok(fail(&format!(
                    "`--execution-id {id}`: an execution id is a UUID, 36 characters such as \
                     0123abcd-0000-4000-8000-00000000beef"
                )));
            }
            let given = args.remote.compare_local
                || !args.parameters.is_empty()
                || args.params.is_some()
                || args.targets.is_some()
                || args.target_maps.is_some()
                || args.target_locations.is_some()
                || args.target_parameter.is_some()
                || args.max_concurrency.is_some()
                || args.max_errors.is_some()
                || args.remote.name.is_some()
                || args.remote.attachments_bucket.is_some();
            if given {
                return Ok(fail(
                    "--execution-id follows an execution already started: parameters, targets, \
                     --name, --attachments-bucket and --compare-local only apply when starting one",
                ));
            }
            true
        }
        (Some(_), None) => false,
    };
    // Checked before anything is deployed.
    let request = if follow_only {
        None
    } else {
        match start_request(args) {
            Ok(request) => Some(request),
            Err(outcome) => return Ok(outcome),
        }
    };
    let connection = match service::connect(
        service::Options {
            aws_models: flags.aws_models,
            region: args.region.clone(),
            profile: flags.profile,
            endpoint_url: flags.endpoint_url,
        },
        "--remote",
    ) {
        Ok(connection) => connection,
        Err(outcome) => return Ok(outcome),
    };
    let backend = connection.backend();
    let mut runbook = None;
    let (id, fleet) = match (&args.runbook, request) {
        (Some(path), Some((validated, mut request))) => {
            let target = DeployArgs {
                name: args.remote.name.clone(),
                attachments_bucket: args.remote.attachments_bucket.clone(),
            };
            let name = deploy::document_name(path, &target);
            announce(&connection, &name);
            if !flags.yes
                && let Err(outcome) =
                    super::super::live::confirm("a run on the service", "deploy and start it?")
            {
                return Ok(outcome);
            }
            let deployed = match deploy::deploy_runbook(
                &connection,
                path,
                validated.document(),
                &target,
                args.attachments.as_deref(),
            ) {
                Ok(deployed) => deployed,
                Err(outcome) => return Ok(outcome),
            };
            eprintln!("{}", runbook::terminal::escape_lines(&deployed.to_string(), ""));
            request.document = deployed.name;
            request.version = Some(deployed.version);
            // Deployed, so without errors.
            runbook = Some(validated.into_runbook_despite_errors());
            let fleet = !request.targets.is_empty() || !request.target_maps.is_empty();
            match connection.runtime().block_on(start(&*backend, &request)) {
                Ok(id) => {
                    eprintln!("started automation execution {id}");
                    (id, fleet)
                }
                Err(error) => {
                    let refused = matches!(&error, FollowError::Api { error, .. }
                        if error.code.starts_with("InvalidAutomationExecutionParameters")
                            || error.code == "ValidationException"
                            || error.code == "InvalidTarget");
                    eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
                    return Ok(if refused { Outcome::UsageError } else { Outcome::Failure });
                }
            }
        }
        _ => {
            let id = args.execution_id.clone().unwrap_or_default();
            let probe = Follower::new(
                backend.clone(),
                Arc::new(SystemClock),
                Arc::new(runbook_engine::host::NoObserver),
                polling,
            );
            match connection.runtime().block_on(probe.fetch(&id)) {
                Ok(execution) => (id, execution.fleet.is_some()),
                Err(error) => return Ok(follow_error(&error)),
            }
        }
    };

    let json = args.output == OutputMode::Json;
    // With --compare-local, standard output carries the comparison.
    let progress = Arc::new(Progress::new(json || args.remote.compare_local, args.verbose, fleet));
    let follower = Follower::new(backend, Arc::new(SystemClock), progress.clone(), polling);
    let cancel = CancelToken::new();
    let detached = id.clone();
    let signals = crate::cli::signal::watch_with(
        cancel.clone(),
        "stopping the execution on the service; Ctrl-C again to stop following it and leave it there",
        move || {
            eprintln!(
                "note: no longer following automation execution {detached}, which goes on on the \
                 service: `runbook run --remote --execution-id {detached}` follows it again"
            );
        },
    );
    let result = connection.runtime().block_on(async {
        if args.remote.no_wait {
            follower.fetch(&id).await.map(Followed::Detached)
        } else {
            follower.follow(&id, &cancel, args.remote.patience).await
        }
    });
    progress.flush();
    let (execution, ended) = match result {
        Ok(Followed::Ended(execution)) => (execution, true),
        Ok(Followed::Detached(execution)) => (execution, false),
        Err(error) => return Ok(follow_error(&error)),
    };
    if args.remote.compare_local
        && let Some(runbook) = &runbook
        && ended
    {
        return compare_local(args, runbook, &execution, json, signals.fired());
    }
    print_record(&execution, json)?;
    let status = execution.automation_execution_status;
    Ok(if !ended && !status.is_terminal() {
        if args.remote.no_wait {
            Outcome::Success
        } else {
            eprintln!(
                "note: automation execution {id} is still {status} on the service after the \
                 --patience given: `runbook run --remote --execution-id {id}` follows it again"
            );
            Outcome::Failure
        }
    } else if status == Status::Success {
        Outcome::Success
    } else if status == Status::Cancelled && signals.fired() {
        Outcome::Cancelled
    } else {
        Outcome::Failure
    })
}

/// A failure to follow: no such execution is a usage error, anything else a failure.
fn follow_error(error: &FollowError) -> Outcome {
    eprintln!("error: {}", runbook::terminal::escape_lines(&error.to_string(), ""));
    match error {
        FollowError::NoSuchExecution(_) => Outcome::UsageError,
        _ => Outcome::Failure,
    }
}

/// The record as JSON, without the `Calls` the service does not keep (an empty list would
/// say the run made none).
fn record_json(execution: &Execution) -> anyhow::Result<Value> {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("Calls");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(execution)?;
    strip(&mut value);
    Ok(value)
}

/// The record as a local run prints it.
fn print_record(execution: &Execution, json: bool) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        runbook::json::write(&mut stdout, &record_json(execution)?)?;
        writeln!(stdout)?;
    } else {
        let mut text = progress::summary(execution, crate::cli::color::stdout());
        if execution.fleet.is_some() {
            text.push_str(&progress::fleet_summary(execution));
        }
        write!(stdout, "{text}")?;
    }
    stdout.flush()?;
    Ok(())
}

/// Runs `runbook` locally on the mocks with the run's parameters and targets, and prints how
/// its record and the service's differ.
fn compare_local(
    args: &Args,
    runbook: &runbook::Runbook,
    remote: &Execution,
    json: bool,
    cancelled: bool,
) -> anyhow::Result<Outcome> {
    if cancelled {
        print_record(remote, json)?;
        return Ok(Outcome::Cancelled);
    }
    let Some(path) = &args.mocks else { return Ok(Outcome::UsageError) };
    let mocks = match runbook_aws::mock::MockFile::load(path) {
        Ok(mocks) => mocks,
        Err(error) => return Ok(fail(&error.to_string())),
    };
    let parameters = super::parameters(args).map_err(anyhow::Error::msg)?;
    let mut session = runbook::Session::new()
        .mocks(mocks)
        .approvals(runbook::Approvals::Scripted(IndexMap::new()))
        .context(runbook_engine::execute::RunContext {
            region: args.region.clone().unwrap_or_else(|| "us-east-1".into()),
            attachments: args.attachments.clone(),
            ..runbook_engine::execute::RunContext::default()
        })
        .start_time(remote.execution_start_time)
        .parameters(parameters);
    if let Some(fleet) = super::fleet(args).map_err(anyhow::Error::msg)? {
        session = session.fleet(fleet);
    }
    let runtime = runbook_engine::host::virtual_runtime()?;
    let local = match runtime.block_on(session.run_async(runbook)) {
        Ok(finished) => finished.execution,
        Err(refused) => {
            return Ok(fail(&format!("the local run did not start: {refused}")));
        }
    };
    let found = runbook::diff::diff_records(&serde_json::to_value(&local)?, &record_json(remote)?);
    let mut stdout = std::io::stdout().lock();
    if json {
        let document =
            serde_json::json!({"same": found.is_empty(), "divergences": found.divergences});
        serde_json::to_writer_pretty(&mut stdout, &document)?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "A: the local run on {}\nB: automation execution {} on the service",
            runbook::terminal::escape(&path.display().to_string()),
            remote.automation_execution_id
        )?;
        write!(stdout, "{found}")?;
    }
    stdout.flush()?;
    Ok(if found.is_empty() { Outcome::Success } else { Outcome::Failure })
}

/// The runbook, validated, and what starting it takes, checked before anything is sent.
fn start_request(args: &Args) -> Result<(runbook::Validated, StartRequest), Outcome> {
    let path = args.runbook.as_deref().unwrap_or(std::path::Path::new(""));
    let validated = deploy::load(path).ok_or(Outcome::UsageError)?;
    let parameters = super::parameters(args).map_err(|message| fail(&message))?;
    // The same checks of the fleet options as a local run's.
    super::fleet(args).map_err(|message| fail(&message))?;
    let types: IndexMap<&str, Option<ValueType>> = validated
        .document()
        .parameters
        .iter()
        .map(|p| (p.name.value.as_str(), p.ty.as_ref().map(|ty| ty.value.value_type())))
        .collect();
    let mut request = StartRequest::default();
    for (name, value) in &parameters {
        let ty = types.get(name.as_str()).copied().flatten();
        request.parameters.insert(name.clone(), service_values(value, ty));
    }
    if let Some(targets) = &args.targets {
        request.targets = vec![super::parse_target(targets).map_err(|message| fail(&message))?];
        request.target_parameter.clone_from(&args.target_parameter);
    }
    if let Some(path) = &args.target_maps {
        let Value::Array(maps) = super::read_data_file(path).map_err(|message| fail(&message))?
        else {
            return Err(fail(&format!(
                "{}: the target maps file must be a list of maps",
                path.display()
            )));
        };
        for map in maps {
            let Value::Object(map) = map else {
                return Err(fail(&format!(
                    "{}: each target map must be a map of parameter names to values",
                    path.display()
                )));
            };
            request.target_maps.push(
                map.iter().map(|(name, value)| (name.clone(), as_string_list(value))).collect(),
            );
        }
    }
    if let Some(path) = &args.target_locations {
        let list = super::read_data_file(path).map_err(|message| fail(&message))?;
        request.target_locations = runbook_engine::Locations::parse_list(&list)
            .map_err(|error| fail(&format!("{}: {error}", path.display())))?;
        if request.target_parameter.is_none() {
            request.target_parameter.clone_from(&args.target_parameter);
        }
    }
    request.max_concurrency.clone_from(&args.max_concurrency);
    request.max_errors.clone_from(&args.max_errors);
    Ok((validated, request))
}

/// A parameter value as the service takes it: a list of strings. A StringList given as text
/// is split at commas, or read as the JSON list it is; anything else is one string.
fn service_values(value: &Value, ty: Option<ValueType>) -> Vec<String> {
    match (value, ty) {
        (Value::String(text), Some(ValueType::StringList)) => {
            if let Ok(Value::Array(items)) = serde_json::from_str::<Value>(text) {
                return items.iter().map(as_text).collect();
            }
            text.split(',').map(|item| item.trim().to_string()).collect()
        }
        (Value::Array(items), Some(ValueType::StringList) | None) => {
            items.iter().map(as_text).collect()
        }
        (other, _) => vec![as_text(other)],
    }
}

/// Says where the run goes.
fn announce(connection: &Connection, name: &str) {
    eprintln!(
        "a REAL run on the service: document {}, region {}",
        runbook::terminal::escape(name),
        connection.region()
    );
    if let Some(url) = connection.endpoint_url() {
        eprintln!("calls go to {}", runbook::terminal::escape(url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn parameter_values_become_lists_of_strings() {
        use serde_json::json;
        assert_eq!(service_values(&json!("a, b"), Some(ValueType::StringList)), ["a", "b"]);
        assert_eq!(
            service_values(&json!("[\"a\",\"b\"]"), Some(ValueType::StringList)),
            ["a", "b"]
        );
        assert_eq!(service_values(&json!(["a", 1]), None), ["a", "1"]);
        assert_eq!(service_values(&json!("x,y"), Some(ValueType::String)), ["x,y"]);
        assert_eq!(service_values(&json!({"k": 1}), Some(ValueType::StringMap)), ["{\"k\":1}"]);
        assert_eq!(service_values(&json!(3), Some(ValueType::Integer)), ["3"]);
    }
}
