//! `runbook run`: run a runbook, on mocks and the virtual clock unless told otherwise, with
//! live progress, and print the run record.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use indexmap::IndexMap;
use runbook::Approvals;
use runbook::{Loader, Session};
use runbook_aws::mock::record::Recorder;
use runbook_engine::execute::{Fleet, IdGenerator, Locations, RunContext, Secrets, Target};
use runbook_engine::host::virtual_runtime;
use runbook_engine::record::Status;
use serde_json::Value;

use super::Outcome;
use super::live::{self, LiveArgs};
use super::models::Lookup;
use super::progress::{Progress, PromptApprover};
use crate::render;

mod remote;

/// Arguments of `runbook run`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The runbook to run.
    #[arg(required_unless_present = "remote")]
    runbook: Option<PathBuf>,
    /// A parameter value, `NAME=VALUE` (repeat for more). A StringList takes comma-separated
    /// values or a JSON list; a StringMap or MapList takes JSON.
    #[arg(short = 'p', long = "parameter", value_name = "NAME=VALUE")]
    parameters: Vec<String>,
    /// A JSON or YAML file mapping parameter names to values (text, numbers, booleans, lists or
    /// maps). `-p` values win over it.
    #[arg(long, value_name = "FILE")]
    params: Option<PathBuf>,
    /// A mock file answering AWS calls, approvals and scripts. Without one, every AWS call
    /// fails and shows the call it could not answer.
    #[arg(long, value_name = "FILE")]
    mocks: Option<PathBuf>,
    /// Write every AWS call the run makes, with its answer, and every approval decision to FILE
    /// as a mock file (JSON when FILE ends in `.json`, else YAML), so that `--mocks FILE`
    /// replays the run. Works with --mocks, --auto-mock, --sandbox and --aws.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// A folder of runbooks that `aws:executeAutomation` steps run (repeat for more).
    #[arg(long, value_name = "DIR")]
    documents: Vec<PathBuf>,
    /// How approvals and pauses are answered: `all` approves them, `none` lets them time out.
    /// Without it the terminal asks; with no terminal, `none`.
    #[arg(long, value_enum, value_name = "all|none")]
    approve: Option<ApproveMode>,
    /// `human` prints each step as it runs and a summary; `json` prints the run record.
    #[arg(long, value_enum, default_value_t = OutputMode::Human)]
    output: OutputMode,
    /// The Python interpreter for `aws:executeScript` (default: `python3` on PATH).
    #[arg(long, value_name = "PATH")]
    python: Option<PathBuf>,
    /// A folder holding the runbook's script attachments (default: next to the runbook).
    #[arg(long, value_name = "DIR")]
    attachments: Option<PathBuf>,
    /// The account id the run reports (`global:ACCOUNT_ID`).
    #[arg(long, value_name = "ID", default_value = "123456789012")]
    account: String,
    /// The region the run reports (`global:REGION`; default us-east-1). With --aws, the region
    /// calls go to (default: the AWS configuration's).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Also show what scripts print and every call's answer.
    #[arg(short, long)]
    verbose: bool,
    /// Show the values of `SecureString` parameters the run decrypted (`WithDecryption`) in the
    /// progress and the record; by default they show as `********`.
    #[arg(long)]
    show_secrets: bool,
    /// Run once per target: the parameter that receives each target value.
    #[arg(long, value_name = "NAME")]
    target_parameter: Option<String>,
    /// The targets, as `Key=KEY,Values=V1,V2`: `ParameterValues`, `tag:NAME`, `tag-key`,
    /// `ResourceGroup`, `AWS::EC2::Instance` (`*`) or `InstanceIds`.
    #[arg(long, value_name = "Key=...,Values=...", requires = "target_parameter")]
    targets: Option<String>,
    /// A JSON or YAML file with a list of parameter maps: one run per map.
    #[arg(long, value_name = "FILE", conflicts_with = "targets")]
    target_maps: Option<PathBuf>,
    /// A JSON or YAML file with a list of target locations, in the shape of the service's
    /// `TargetLocations` (`Accounts`, `Regions`, `ExecutionRoleName`, ...): one run per account
    /// and Region, as that account in that Region; with --targets, one per target in each.
    #[arg(long, value_name = "FILE", conflicts_with = "target_maps")]
    target_locations: Option<PathBuf>,
    /// How many target runs at once: a number or a percentage of the targets (default 10).
    #[arg(long, value_name = "N|P%")]
    max_concurrency: Option<String>,
    /// How many target runs may fail before no new one starts: a number or a percentage
    /// (default 0).
    #[arg(long, value_name = "N|P%")]
    max_errors: Option<String>,
    /// The run's `AutomationExecutionId` (a UUID). Default: with --aws or --sandbox a fresh
    /// random one each run; otherwise one that follows from the runbook and its parameters, the
    /// same each time.
    #[arg(long, value_name = "UUID")]
    execution_id: Option<String>,
    /// How many step executions the run may start, every attempt and every step of nested
    /// runs and fleet children counting, before it is stopped and fails (default 10000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_step_executions: Option<u64>,
    #[command(flatten)]
    live: LiveArgs,
    #[command(flatten)]
    remote: remote::RemoteArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ApproveMode {
    /// Approve and resume every step that waits.
    All,
    /// Answer nothing: approvals and pauses time out.
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum OutputMode {
    /// Steps as they run, then a summary.
    Human,
    /// The run record, as the service's GetAutomationExecution response.
    Json,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<Outcome> {
    if args.remote.remote {
        return remote::run(args);
    }
    // Clap asks for a runbook without --remote.
    let Some(runbook_path) = args.runbook.as_deref() else { return Ok(Outcome::UsageError) };
    let models = match live::find_models(&args.live) {
        Ok(models) => models,
        Err(outcome) => return Ok(outcome),
    };
    let loader = match &models {
        Lookup::Found(models) => Loader::new().models(Some(models.clone())),
        Lookup::Missing(_) => Loader::new(),
    };
    crate::pages::fit_to(runbook_path);
    let validated = match loader.load(runbook_path) {
        Ok(validated) => validated,
        Err(error) => {
            eprint!("{}", render::human::load_error(&error));
            return Ok(Outcome::UsageError);
        }
    };
    if validated.report().has_errors() {
        eprint!(
            "{}",
            render::human::diagnostics(
                validated.document(),
                validated.report(),
                render::human::use_color_stderr()
            )
        );
        eprintln!("error: the runbook has errors; fix them before running it");
        return Ok(Outcome::UsageError);
    }
    let parameters = match parameters(args) {
        Ok(parameters) => parameters,
        Err(message) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&message, ""));
            return Ok(Outcome::UsageError);
        }
    };
    if let Some(id) = &args.execution_id
        && !runbook_engine::execute::is_execution_id(id)
    {
        eprintln!(
            "error: `--execution-id {}`: an execution id is a UUID, 36 characters such as 0123abcd-0000-4000-8000-00000000beef",
            runbook::terminal::escape(id)
        );
        return Ok(Outcome::UsageError);
    }
    let over = fleet(args).and_then(|fleet| locations(args, fleet));
    let (fleet, locations) = match over {
        Ok(over) => over,
        Err(message) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&message, ""));
            return Ok(Outcome::UsageError);
        }
    };
    let mocks = match &args.mocks {
        Some(path) => match runbook_aws::mock::MockFile::load(path) {
            Ok(file) => Some(Arc::new(file)),
            Err(error) => {
                eprintln!("{}", runbook::terminal::escape_lines(&error.to_string(), ""));
                return Ok(Outcome::UsageError);
            }
        },
        None => None,
    };
    let runbook_name = runbook_path.file_name().map_or_else(
        || runbook_path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let live = match live::connect(&live::Request {
        args: &args.live,
        region: args.region.as_deref(),
        document: validated.document(),
        runbook: &runbook_name,
        documents: &args.documents,
        python: args.python.clone(),
    }) {
        Ok(live) => live,
        Err(outcome) => return Ok(outcome),
    };
    let placeholders = if live.is_some() {
        None
    } else {
        match live::prepare_mocks(&args.live, mocks.as_deref(), &models) {
            Ok(placeholders) => {
                placeholders.map(|placeholders| placeholders.for_document(validated.document()))
            }
            Err(outcome) => return Ok(outcome),
        }
    };

    // Fail before the run, not after it, when the recording cannot be written.
    if let Some(path) = &args.record
        && let Err(error) = std::fs::File::create(path)
    {
        eprintln!("error: cannot write {}: {error}", path.display());
        return Ok(Outcome::UsageError);
    }
    let recorder = args.record.as_ref().map(|_| {
        let stand_ins = mocks.as_ref().map(|file| file.scripts.clone()).unwrap_or_default();
        Arc::new(Recorder::new().with_stand_ins(stand_ins))
    });

    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let json = args.output == OutputMode::Json;
    let fleet_run =
        args.targets.is_some() || args.target_maps.is_some() || args.target_locations.is_some();
    // Learned by the run from its decrypted SecureStrings; masked in all it shows unless asked.
    let secrets = Secrets::default();
    let masked = (!args.show_secrets).then(|| secrets.clone());
    let progress = Arc::new(
        Progress::new(json, args.verbose, fleet_run)
            .buffered(live.is_none())
            .masking(masked.clone()),
    );
    let mut session = Session::new()
        .approvals(match args.approve {
            Some(ApproveMode::All) => Approvals::All,
            Some(ApproveMode::None) => Approvals::None,
            None => Approvals::Scripted(IndexMap::new()),
        })
        .scripts(Arc::new(runbook_actions::script::LocalScriptRunner::new(
            args.python.clone(),
            None,
        )))
        .context(RunContext {
            account_id: live.as_ref().map_or_else(|| args.account.clone(), |l| l.account().into()),
            region: live.as_ref().map_or_else(
                || args.region.clone().unwrap_or_else(|| "us-east-1".into()),
                |l| l.region().into(),
            ),
            attachments: args.attachments.clone(),
            secrets,
            script_environment: live
                .as_ref()
                .map(live::Live::script_environment)
                .unwrap_or_default(),
            ..RunContext::default()
        })
        .observer(progress.clone())
        .parameters(parameters);
    for folder in &args.documents {
        session = session.documents(folder.clone());
    }
    if args.approve.is_none() && interactive {
        session = session.prompt(Arc::new(PromptApprover));
    }
    if let Some(mocks) = mocks {
        session = session.mocks(mocks);
    }
    if let Some(placeholders) = placeholders {
        session = session.auto_mock(placeholders);
    }
    if let Some(recorder) = &recorder {
        session = session.record(recorder.clone());
    }
    if let Some(fleet) = fleet {
        session = session.fleet(fleet);
    }
    if let Some(locations) = locations {
        session = session.locations(locations);
    }
    if let Some(id) = &args.execution_id {
        session = session.execution_id(id.clone());
    }
    if let Some(limit) = args.max_step_executions {
        session = session.max_step_executions(limit);
    }
    // A dry run is on virtual time; a run against an AWS is on the real clock.
    let dry_runtime;
    let runtime = match &live {
        Some(live) => {
            session =
                session.aws(live.backend()).system_clock().ids(IdGenerator::new(fresh_seed()));
            live.runtime()
        }
        None => {
            session = session.start_time(start_time());
            dry_runtime = virtual_runtime()?;
            &dry_runtime
        }
    };
    // Its errors were refused above, before anything else was set up.
    let runbook = validated.into_runbook_despite_errors();
    let signals = super::signal::watch(session.token().clone());
    let result = runtime.block_on(async { session.run_async(&runbook).await });
    progress.flush();
    if let (Some(path), Some(recorder)) = (&args.record, &recorder) {
        if let Err(error) = recorder.write(path) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return Ok(Outcome::UsageError);
        }
        let calls = recorder.calls();
        let s = if calls == 1 { "" } else { "s" };
        eprintln!("note: recorded {calls} AWS call{s} to {}", path.display());
    }
    let finished = match result {
        Ok(finished) => finished,
        Err(refused) => {
            eprintln!("error: {}", runbook::terminal::escape_lines(&refused.to_string(), ""));
            if let Some(note) = refused.note() {
                eprintln!("note: {}", runbook::terminal::escape_lines(&note, ""));
            }
            return Ok(Outcome::UsageError);
        }
    };
    if let Some(auto) = finished.auto_mock() {
        live::report_placeholders(&auto.placeholder_calls());
    }
    let execution = &finished.execution;
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let masked = masked.filter(|secrets| !secrets.is_empty());
    if json {
        if let Some(secrets) = &masked {
            let mut record = serde_json::to_value(execution)?;
            secrets.mask_value(&mut record);
            runbook::json::write(&mut stdout, &record)?;
        } else {
            runbook::json::write(&mut stdout, execution)?;
        }
        writeln!(stdout)?;
    } else {
        let mut text = super::progress::summary(execution, super::color::stdout());
        if execution.fleet.is_some() || execution.locations.is_some() {
            text.push_str(&super::progress::fleet_summary(execution));
        }
        if let Some(secrets) = &masked {
            text = secrets.mask_text(&text);
        }
        write!(stdout, "{text}")?;
    }
    stdout.flush()?;
    let outcome = if execution.automation_execution_status == Status::Success {
        Outcome::Success
    } else if execution.automation_execution_status == Status::Cancelled && signals.fired() {
        Outcome::Cancelled
    } else {
        Outcome::Failure
    };
    // The process ends here: freeing a long run's record and plan piece by piece would cost as
    // much as writing the record.
    std::mem::forget(finished);
    std::mem::forget(runbook);
    Ok(outcome)
}

/// The dry run's virtual clock starts at the real time, so dates in templates look right.
#[allow(
    clippy::disallowed_methods,
    reason = "the virtual clock's starting point is read once here"
)]
fn start_time() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// A seed no other run shares, for the ids of a run against AWS: two real runs must not name
/// resources after the same `automation:EXECUTION_ID`. The standard library's hasher keys come
/// from the operating system's random source, new for each process.
fn fresh_seed() -> u64 {
    use std::hash::BuildHasher;
    std::hash::RandomState::new().hash_one(std::process::id())
}

/// The fleet options: `--target-parameter` with `--targets`, or `--target-maps`, and the rate
/// limits.
fn fleet(args: &Args) -> Result<Option<Fleet>, String> {
    let mut fleet = match (&args.targets, &args.target_maps) {
        (Some(targets), _) => {
            let parameter = args.target_parameter.clone().unwrap_or_default();
            Fleet::new(parameter, parse_target(targets)?)
        }
        (None, Some(path)) => {
            let maps = match read_data_file(path)? {
                Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        Value::Object(map) => Ok(map.into_iter().collect()),
                        _ => Err(format!(
                            "{}: each target map must be a map of parameter names to values",
                            path.display()
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?,
                _ => {
                    return Err(format!(
                        "{}: the target maps file must be a list of maps",
                        path.display()
                    ));
                }
            };
            Fleet::maps(maps)
        }
        (None, None) => {
            if args.target_locations.is_none()
                && (args.target_parameter.is_some()
                    || args.max_concurrency.is_some()
                    || args.max_errors.is_some())
            {
                return Err("--target-parameter, --max-concurrency and --max-errors need --targets, --target-maps or --target-locations".into());
            }
            return Ok(None);
        }
    };
    if let Some(value) = &args.max_concurrency {
        fleet = fleet.with_max_concurrency(value.clone());
    }
    if let Some(value) = &args.max_errors {
        fleet = fleet.with_max_errors(value.clone());
    }
    Ok(Some(fleet))
}

/// With `--target-locations`, the run over those locations, taking `--targets` (and its rate
/// limits) for the locations that name none of their own; else `fleet` as it is.
fn locations(
    args: &Args,
    fleet: Option<Fleet>,
) -> Result<(Option<Fleet>, Option<Locations>), String> {
    let Some(path) = &args.target_locations else { return Ok((fleet, None)) };
    let list = Locations::parse_list(&read_data_file(path)?)
        .map_err(|error| format!("{}: {error}", path.display()))?;
    let fleet = fleet.unwrap_or_default();
    let locations = Locations {
        target_parameter_name: fleet
            .target_parameter_name
            .or_else(|| args.target_parameter.clone()),
        targets: fleet.targets,
        max_concurrency: fleet.max_concurrency.or_else(|| args.max_concurrency.clone()),
        max_errors: fleet.max_errors.or_else(|| args.max_errors.clone()),
        ..Locations::new(list)
    };
    Ok((None, Some(locations)))
}

/// `Key=tag:Env,Values=prod,dev`, as the AWS command line writes a target.
fn parse_target(text: &str) -> Result<Target, String> {
    let bad = || format!("`--targets {text}`: write targets as Key=KEY,Values=V1,V2");
    let rest = text.strip_prefix("Key=").ok_or_else(bad)?;
    let (key, values) = rest.split_once(",Values=").ok_or_else(bad)?;
    if key.is_empty() || values.is_empty() {
        return Err(bad());
    }
    Ok(Target {
        key: key.to_string(),
        values: values.split(',').map(|v| v.trim().to_string()).collect(),
    })
}

/// The parameters from `--params` and `-p`, `-p` last.
fn parameters(args: &Args) -> Result<IndexMap<String, Value>, String> {
    let mut parameters = IndexMap::new();
    if let Some(path) = &args.params {
        parameters = read_parameters_file(path)?;
    }
    for pair in &args.parameters {
        let Some((name, value)) = pair.split_once('=') else {
            return Err(format!("`-p {pair}`: write parameters as NAME=VALUE"));
        };
        parameters.insert(name.trim().to_string(), Value::String(value.to_string()));
    }
    Ok(parameters)
}

/// A JSON or YAML data file, as JSON.
fn read_data_file(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let format = runbook_engine::document::Format::from_path(path);
    let parsed = match format {
        runbook_engine::document::Format::Json => runbook_engine::syntax::parse_json(&text),
        runbook_engine::document::Format::Yaml => runbook_engine::syntax::parse_yaml(&text),
    };
    let node =
        parsed.map_err(|error| format!("{}:{}: {}", path.display(), error.span, error.message))?;
    Ok(node.to_json())
}

fn read_parameters_file(path: &std::path::Path) -> Result<IndexMap<String, Value>, String> {
    match read_data_file(path)? {
        Value::Object(map) => Ok(map.into_iter().collect()),
        Value::Null => Ok(IndexMap::new()),
        _ => Err(format!(
            "{}: the parameters file must be a map of parameter names to values",
            path.display()
        )),
    }
}
