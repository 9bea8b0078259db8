//! `quota-tui completions SHELL` and `quota-tui man` (SPEC §9): a shell completion script
//! from clap_complete, and one roff man page from clap_mangen covering every command. Both
//! are built from the same clap definitions as `--help`, so they never drift from it.

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::cli::{Cli, EXAMPLES, EXIT_CODES};

/// The program's name as the shells and `man` know it.
const BIN: &str = "quota-tui";

/// The completion script for `shell`: every command, flag and fixed value (GPU types,
/// shells), and file and folder names for `--config` and `--log-dir`.
pub fn completions(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), BIN, &mut out);
    let script = String::from_utf8(out).expect("clap_complete writes UTF-8");
    match shell {
        // clap_complete 4.6 spells a command's state two ways when the program's name has a
        // hyphen: the loop that finds the command sets `quota__tui__subcmd__check`, the arms
        // that complete it match `quota__subcmd__tui__subcmd__check`, so nothing after a
        // command completes (clap-rs/clap#6421, #6529). The arms are respelled as the loop
        // spells them; once clap_complete is fixed this replaces nothing.
        Shell::Bash => script.replace("quota__subcmd__tui__subcmd__", "quota__tui__subcmd__"),
        _ => script,
    }
}

/// The man page, quota-tui(1), in roff: NAME, SYNOPSIS, DESCRIPTION, the dashboard's
/// options, a COMMANDS section with each command's synopsis, description and own options,
/// then ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES and SEE ALSO.
pub fn man_page() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let top = Man::new(cmd.clone());
    type Render = fn(&Man, &mut dyn std::io::Write) -> std::io::Result<()>;
    let sections: [Render; 5] = [
        Man::render_title,
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ];
    let mut page = Vec::new();
    for render in sections {
        render(&top, &mut page).expect("a Vec takes every write");
    }
    let mut text = String::from_utf8(page).expect("clap_mangen writes UTF-8");
    text.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        text.push_str(&command_section(&cmd, sub));
    }
    text.push_str(&closing_sections());
    text
}

/// One command under COMMANDS: `.SS quota-tui NAME`, its description, its synopsis and its
/// own options, then a sentence naming the dashboard's flags it also takes (described once,
/// under OPTIONS and the headings after it).
fn command_section(top: &clap::Command, sub: &clap::Command) -> String {
    let shared: Vec<&clap::Arg> = sub
        .get_arguments()
        .filter(|a| a.get_id() != "help" && is_shared(top, a))
        .collect();
    let shared_ids: Vec<&str> = shared.iter().map(|a| a.get_id().as_str()).collect();
    let own = sub.clone().mut_args(|a| {
        if shared_ids.contains(&a.get_id().as_str()) {
            a.hide(true)
        } else {
            a.help_heading(None)
        }
    });
    let man = Man::new(own);
    let mut parts = Vec::new();
    for render in [
        Man::render_description_section,
        Man::render_synopsis_section,
        Man::render_options_section,
    ] {
        render(&man, &mut parts).expect("a Vec takes every write");
    }
    let name = sub.get_bin_name().unwrap_or(sub.get_name());
    let mut text = Roff::new().control("SS", [name]).to_roff();
    // The sections clap_mangen heads with `.SH` become paragraphs of this `.SS`.
    for line in String::from_utf8_lossy(&parts).lines() {
        match line {
            ".SH DESCRIPTION" => {}
            ".SH SYNOPSIS" | ".SH OPTIONS" => text.push_str(".PP\n"),
            _ => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    if !shared.is_empty() {
        let also = format!(
            "It also takes {} (see OPTIONS).",
            shared_flags(top, &shared)
        );
        text.push_str(&Roff::new().control("PP", []).text([roman(also)]).to_roff());
    }
    text
}

/// True when the dashboard (`top`) has `arg` too: same id and long name.
fn is_shared(top: &clap::Command, arg: &clap::Arg) -> bool {
    top.get_arguments()
        .any(|a| a.get_id() == arg.get_id() && a.get_long() == arg.get_long())
}

/// The dashboard's flags a command takes, as words: a heading's whole group as "the Warmer
/// flags", other flags by name (`--log-dir, --check-timeout and the Project flags`).
fn shared_flags(top: &clap::Command, shared: &[&clap::Arg]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut headings: Vec<&str> = Vec::new();
    for arg in shared {
        let long = format!("--{}", arg.get_long().unwrap_or_default());
        match arg.get_help_heading() {
            Some(h) if headings.contains(&h) => {}
            Some(h) => {
                let whole = top
                    .get_arguments()
                    .filter(|a| a.get_help_heading() == Some(h))
                    .all(|a| shared.iter().any(|s| s.get_id() == a.get_id()));
                if whole {
                    headings.push(h);
                    parts.push(format!("the {h} flags"));
                } else {
                    parts.push(long);
                }
            }
            None => parts.push(long),
        }
    }
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES and SEE ALSO.
fn closing_sections() -> String {
    let mut r = Roff::new();
    r.control("SH", ["ENVIRONMENT"]);
    let vars = [
        (
            "GOOGLE_CLOUD_PROJECT, CLOUDSDK_CORE_PROJECT",
            "The project, when --project is not given.",
        ),
        (
            "GOOGLE_CLOUD_QUOTA_PROJECT",
            "The project the API calls are billed to, when --billing-project is not given.",
        ),
        (
            "GOOGLE_OAUTH_ACCESS_TOKEN",
            "A ready access token, used before any other credentials.",
        ),
        (
            "GOOGLE_APPLICATION_CREDENTIALS",
            "A credentials file (service account key, user login, impersonated service \
             account or external account), used before gcloud's and the metadata server's.",
        ),
        (
            "CLOUDSDK_CONFIG, CLOUDSDK_ACTIVE_CONFIG_NAME",
            "Where gcloud's configuration and application default credentials are read.",
        ),
        (
            "QUOTA_TUI_SERVICEUSAGE_URL, QUOTA_TUI_AIPLATFORM_URL",
            "Send the Service Usage or Vertex AI calls to another server (tests, local fakes).",
        ),
        ("RUST_LOG", "What quota-tui.log records [default: info]."),
        ("NO_COLOR", "When set, the dashboard uses no colour."),
    ];
    for (name, what) in vars {
        r.control("TP", []).text([bold(name)]).text([roman(what)]);
    }
    r.control("SH", ["FILES"]);
    r.control("TP", [])
        .text([bold("~/.config/quota-tui/config.toml")])
        .text([roman(
            "The config file (TOML; every key optional, overridden by the environment and \
             by flags). Its place is the platform's config folder; --config names another.",
        )]);
    r.control("TP", []).text([bold("logs/")]).text([roman(
        "cache_warm.log, infra_verify_timing.log and quota-tui.log, and the lock file \
         quota-tui.lock that keeps one dashboard or warm daemon per folder (--log-dir).",
    )]);
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in EXIT_CODES {
        let sentence = format!("{}{}.", what[..1].to_uppercase(), &what[1..]);
        r.control("TP", [])
            .text([bold(code.to_string())])
            .text([roman(sentence)]);
    }
    r.control("TP", []).text([bold("141")]).text([roman(
        "The reader of stdout went away (a broken pipe); nothing is printed.",
    )]);
    r.control("SH", ["EXAMPLES"]);
    for (line, what) in EXAMPLES {
        r.control("TP", []).text([bold(*line)]).text([roman(*what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([roman("gcloud(1)")]);
    r.to_roff()
}
