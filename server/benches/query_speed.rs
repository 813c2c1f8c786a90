//! A rough clock on the query engine over a million accounts of the test kit's bank (it
//! takes a while to build the state); run with
//! `cargo bench -p resident-server --bench query_speed`.

use std::time::Instant;

use resident_protocol::{map, Value};
use resident_server::cbor::answer::Field;
use resident_server::query::parse::{CmpOp, Dir, Filter, OrderBy, Query, Select};
use resident_server::state::State;
use resident_server::testkit;

/// `RESIDENT_SPEED_ENTITIES` overrides, for quicker profiling.
fn entities() -> usize {
    std::env::var("RESIDENT_SPEED_ENTITIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}
const ENTITIES_PER_COMMIT: usize = 1000;

/// Accounts with balances spread by a cheap deterministic sequence, with many ties, and
/// `low` (an unindexed int) from 0 to 6.
fn build() -> State {
    let mut part = testkit::bank_part();
    // RESIDENT_SPEED_NO_INDEX=1 builds without the index, to see what it costs.
    if std::env::var_os("RESIDENT_SPEED_NO_INDEX").is_some() {
        part.entities[0].indexes.clear();
    }
    let mut state = testkit::state_with(&part);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for batch in 0..entities() / ENTITIES_PER_COMMIT {
        let accounts = (0..ENTITIES_PER_COMMIT).map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let key = format!("{:08x}-acct", batch * ENTITIES_PER_COMMIT + i);
            let name = format!("name{}", seed % 1000);
            let mut events = testkit::opening(&key, &name, (seed % 100_000) as i64);
            events.push(testkit::new_event(
                &format!("{key}-observed"),
                "Observed",
                vec![("x", Value::from((seed % 7) as i64))],
            ));
            (key, events)
        });
        testkit::run_unrecorded(&mut state, &testkit::new_streams(accounts)).unwrap();
    }
    state
}

fn time(name: &str, state: &State, query: &Query, rows_max: usize) {
    // One untimed run first (a cold cache would dominate a microsecond answer), then up
    // to 200 runs, but no more than about a second per query.
    resident_server::query::run::run(state, query, rows_max).unwrap();
    let mut runs = 0u32;
    let mut rows = 0;
    let started = Instant::now();
    while runs < 200 && (runs < 3 || started.elapsed().as_millis() < 1000) {
        let answer = resident_server::query::run::run(state, query, rows_max).unwrap();
        rows = match &answer[0].1 {
            Field::Rows(items) => items.len(),
            _ => 1,
        };
        runs += 1;
    }
    let per_query = started.elapsed() / runs;
    let mut explained = query.clone();
    explained.explain = true;
    let answer = resident_server::query::run::run(state, &explained, rows_max).unwrap();
    let answer = resident_server::cbor::answer::decode(&answer);
    let plan = &answer.iter().find(|(k, _)| *k == "plan").unwrap().1;
    println!(
        "{name:<42} {per_query:>12.2?}  ({rows} rows; {})",
        map::get_text(plan, "text").unwrap()
    );
}

fn query(filter: Option<Filter>, order: Vec<(&str, Dir)>, limit: Option<u64>) -> Query {
    Query {
        entity: "Account".to_string(),
        filter,
        order: order
            .into_iter()
            .map(|(f, dir)| OrderBy {
                field: f.to_string(),
                dir,
            })
            .collect(),
        limit,
        offset: 0,
        after: None,
        select: Select::Rows,
        explain: false,
    }
}

fn balance(op: CmpOp, v: i64) -> Filter {
    Filter::Compare {
        field: "balance".to_string(),
        op,
        value: Value::from(v),
    }
}

fn main() {
    let started = Instant::now();
    let state = build();
    println!("built {} entities in {:.2?}", entities(), started.elapsed());
    a_million_entities(&state);
    aggregates_over_index_ranges(&state);
}

fn a_million_entities(state: &State) {
    let range = Some(Filter::And(vec![
        balance(CmpOp::Ge, 25_000),
        balance(CmpOp::Lt, 75_000),
    ]));
    time(
        "range + order desc + limit 50",
        state,
        &query(range.clone(), vec![("balance", Dir::Desc)], Some(50)),
        100_000,
    );
    time(
        "range + order asc + limit 50",
        state,
        &query(range.clone(), vec![("balance", Dir::Asc)], Some(50)),
        100_000,
    );
    time(
        "order desc + limit 50 (whole index)",
        state,
        &query(None, vec![("balance", Dir::Desc)], Some(50)),
        100_000,
    );
    time(
        "equality, id order",
        state,
        &query(Some(balance(CmpOp::Eq, 4242)), vec![], None),
        100_000,
    );
    let mut count = query(
        Some(Filter::And(vec![
            balance(CmpOp::Ge, 1000),
            balance(CmpOp::Lt, 2000),
        ])),
        vec![],
        None,
    );
    count.select = Select::Count;
    time("count over a 1% range", state, &count, 100_000);
    let low = Some(Filter::Compare {
        field: "low".to_string(),
        op: CmpOp::Eq,
        value: Value::from(3),
    });
    time(
        "unindexed filter + order on unindexed, limit 50",
        state,
        &query(low, vec![("name", Dir::Asc)], Some(50)),
        100_000,
    );
}

/// count, sum, min and max over index ranges of about 50% and 1% of the rows, without a
/// page: answered from the index's cached subtree counts and sums where the range alone
/// answers the filter. `RESIDENT_SPEED_ENTITIES=100000` for the smaller size.
fn aggregates_over_index_ranges(state: &State) {
    let half = Some(balance(CmpOp::Gt, 50_000));
    let one_percent = Some(Filter::And(vec![
        balance(CmpOp::Ge, 1000),
        balance(CmpOp::Lt, 2000),
    ]));
    let agg = |filter: &Option<Filter>, select: Select| {
        let mut q = query(filter.clone(), vec![], None);
        q.select = select;
        q
    };
    let sum =
        |f: &str| Select::Aggregate(resident_server::query::parse::Aggregate::Sum, f.to_string());
    let min = Select::Aggregate(
        resident_server::query::parse::Aggregate::Min,
        "balance".to_string(),
    );
    let max = Select::Aggregate(
        resident_server::query::parse::Aggregate::Max,
        "balance".to_string(),
    );
    for (name, filter) in [("50%", &half), ("1%", &one_percent)] {
        time(
            &format!("count, {name} range"),
            state,
            &agg(filter, Select::Count),
            100,
        );
        time(
            &format!("sum(balance), {name} range"),
            state,
            &agg(filter, sum("balance")),
            100,
        );
        time(
            &format!("min(balance), {name} range"),
            state,
            &agg(filter, min.clone()),
            100,
        );
        time(
            &format!("max(balance), {name} range"),
            state,
            &agg(filter, max.clone()),
            100,
        );
        time(
            &format!("sum(low), {name} range"),
            state,
            &agg(filter, sum("low")),
            100,
        );
    }
    // The range does not answer the filter alone here: rows are still checked.
    let mixed = Some(Filter::And(vec![
        balance(CmpOp::Gt, 50_000),
        Filter::Compare {
            field: "low".to_string(),
            op: CmpOp::Eq,
            value: Value::from(3),
        },
    ]));
    time(
        "count, 50% range + unindexed condition",
        state,
        &agg(&mixed, Select::Count),
        100,
    );
}
