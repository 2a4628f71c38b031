//! Peak memory of decoding hostile bodies (issue 21, item 1), each shape in
//! a process of its own so that the kernel's high-water mark (`VmHWM`)
//! belongs to it alone. `cargo bench -p ucwa-runtime --bench decode_memory`.
//! Linux only (it reads `/proc/self/status`); elsewhere it says so.
//!
//! For each shape: the peak with the decoding budget (what the client and
//! the mock do now) and with plain `serde_json::Value` (what decoding it
//! unbounded costs), next to the body's size.

use std::process::Command;
use ucwa_runtime::error::ErrorBody;
use ucwa_runtime::DecodeBudget;

const SHAPES: [&str; 4] = [
    "error-body-14mb",
    "xml-reason-1.5m",
    "resource-14mb",
    "within-budget-16mb",
];

fn body(shape: &str) -> String {
    let many = |count: usize| vec![r#"{"a":0}"#; count].join(",");
    match shape {
        "error-body-14mb" => format!(r#"{{"code":"BadRequest","x":[{}]}}"#, many(1_750_000)),
        "xml-reason-1.5m" => format!(
            "<reason code=\"BadRequest\">{}</reason>",
            "<x/>".repeat(1_500_000)
        ),
        "resource-14mb" => format!(r#"{{"rel":"application","junk":[{}]}}"#, many(1_750_000)),
        // At the client's byte limit (16 MiB) and just within the budget:
        // the most a body that is decoded can build.
        "within-budget-16mb" => {
            let item = format!("\"{}\"", "x".repeat(80));
            format!(
                r#"{{"rel":"application","junk":[{}]}}"#,
                vec![item; 199_990].join(",")
            )
        }
        other => panic!("no shape {other}"),
    }
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// In the child: decode `shape` one way and print `size peak`.
fn measure(shape: &str, how: &str) {
    let body = body(shape);
    let before = peak_kib().unwrap_or(0);
    match how {
        "budget" => {
            let decoded = match shape {
                "resource-14mb" | "within-budget-16mb" => DecodeBudget::DEFAULT
                    .decode_json::<serde_json::Value>(&body)
                    .map(|value| std::hint::black_box(value).is_object())
                    .unwrap_or(false),
                _ => ErrorBody::<String, String>::from_bytes(body.as_bytes()).is_some(),
            };
            assert_eq!(decoded, shape == "within-budget-16mb", "{shape}");
        }
        "unbounded" => {
            if shape.starts_with("xml") {
                // The runtime has no unbounded XML reader left to measure.
                println!("{} 0 0", body.len());
                return;
            }
            let value: serde_json::Value = serde_json::from_str(&body).expect("valid JSON");
            std::hint::black_box(&value);
        }
        other => panic!("no way {other}"),
    }
    let after = peak_kib().unwrap_or(0);
    println!("{} {} {}", body.len(), before, after);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, shape, how, ..] = args.as_slice() {
        if flag == "--measure" {
            measure(shape, how);
            return;
        }
    }
    if peak_kib().is_none() {
        println!("decode_memory: no /proc/self/status here; nothing measured");
        return;
    }
    println!("| shape | body | peak with the budget | peak as serde_json::Value |");
    println!("|---|---:|---:|---:|");
    let exe = std::env::current_exe().expect("this bench");
    for shape in SHAPES {
        let mut row = vec![shape.to_string()];
        for how in ["budget", "unbounded"] {
            let output = Command::new(&exe)
                .args(["--measure", shape, how])
                .output()
                .expect("the measuring child runs");
            let text = String::from_utf8_lossy(&output.stdout);
            let fields: Vec<u64> = text
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            let [size, _before, after] = fields[..] else {
                panic!(
                    "{shape} {how}: {text} {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            };
            if how == "budget" {
                row.push(format!("{:.1} MB", size as f64 / 1e6));
            }
            row.push(match after {
                0 => "— (no unbounded reader)".to_string(),
                kib => format!("{:.0} MB", kib as f64 / 1024.0),
            });
        }
        println!("| {} |", row.join(" | "));
    }
}
