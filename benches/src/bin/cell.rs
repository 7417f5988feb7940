//! Sends one benchmark cell's request a given number of times, for an
//! instruction counter (`valgrind --tool=callgrind`): the difference
//! between two counts divided by the difference in requests is the cost of
//! one request, whatever else the machine is doing.
//!
//! `cell <framework> <scenario> <variant> <requests>`, e.g.
//! `cell warp actual_allowed ours 1000`. Every answer is checked once
//! first, as in the other benches.

use std::hint::black_box;
use std::process::ExitCode;

use cors_benches::apps::{Framework, Scenario, Variant, actix, axum, rocket, warp, warp_tower};

fn run<F: Framework>(mut framework: F, scenario: Scenario, variant: Variant, requests: u64) {
    framework.check();
    // First-request caches fill before counting starts at any count.
    for _ in 0..10 {
        black_box(framework.status(variant, scenario));
    }
    for _ in 0..requests {
        black_box(framework.status(variant, black_box(scenario)));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [framework, scenario, variant, requests] = args.as_slice() else {
        eprintln!("usage: cell <framework> <scenario> <variant> <requests>");
        return ExitCode::FAILURE;
    };
    let Some(scenario) = Scenario::ALL.into_iter().find(|s| s.name() == scenario) else {
        eprintln!("unknown scenario {scenario}");
        return ExitCode::FAILURE;
    };
    let Some(variant) = Variant::EVERY.into_iter().find(|v| v.name() == variant) else {
        eprintln!("unknown variant {variant}");
        return ExitCode::FAILURE;
    };
    let Ok(requests) = requests.parse() else {
        eprintln!("requests: not a number: {requests}");
        return ExitCode::FAILURE;
    };
    match framework.as_str() {
        "axum" => run(axum::Axum::new(), scenario, variant, requests),
        "actix" => run(actix::build(), scenario, variant, requests),
        "rocket" => run(rocket::RocketApps::new(), scenario, variant, requests),
        "warp" => run(warp::build(), scenario, variant, requests),
        "warp-tower" => run(warp_tower::build(), scenario, variant, requests),
        other => {
            eprintln!("unknown framework {other}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
