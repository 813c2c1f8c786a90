//! A real `residentd` whose writer failed: writes are refused until a restart, and reads
//! go on, for connections that were open and for new ones, which (like the PHP
//! extension) register their schema before they read.
//!
//! The writer is made to fail for real: a directory stands where the next log segment
//! must be created, so the rotation fails with EISDIR, as it would with EACCES or EROFS.

use resident_protocol::Value;
use resident_server::state::schema::FieldType;
use resident_server::testkit;

mod common;

use common::*;

#[test]
fn a_failed_writer_refuses_writes_and_answers_no_op_registers_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--segment-bytes", "4096"]);
    let mut c = server.client();
    c.ok("register", bank_schema());
    std::fs::create_dir(server.data.join("log").join("00000000000000000002.log")).unwrap();
    let mut opened = 0;
    let error = loop {
        let key = format!("k{opened}");
        let answer = c.call(
            "commit",
            commit(
                &key,
                text("none"),
                vec![event(&key, "AccountOpened", vec![("name", text(&key))])],
            ),
        );
        match resident_protocol::map::get(&answer, "error") {
            None => opened += 1,
            Some(error) => break error.clone(),
        }
        assert!(opened < 1000, "the rotation never failed");
    };
    assert!(opened > 0, "the first segment took commits");
    assert_eq!(get(&error, &["code"]), &text("unavailable"), "{error:?}");

    // A new connection, as a fresh PHP process makes: its register changes nothing and
    // is answered; its reads are answered.
    let mut fresh = server.client();
    let registered = fresh.ok("register", bank_schema());
    assert_eq!(get(&registered, &["changed"]), &Value::Bool(false));
    assert_eq!(int(get(&registered, &["schema_version"])), 1);
    let count = fresh.ok("count", vec![("entity", text("Account"))]);
    assert_eq!(int(get(&count, &["count"])), opened as i128);
    let found = fresh.ok(
        "find",
        vec![("entity", text("Account")), ("key", text("k0"))],
    );
    assert_eq!(get(&found, &["entity", "name"]), &text("k0"));

    // What needs the writer is still refused: a register that changes the schema, and
    // commits.
    let mut changed = testkit::example_bank_part();
    changed.entities[0]
        .fields
        .push(testkit::field("nickname", FieldType::String, true, None));
    fresh.fails("register", testkit::register_args(&changed), "unavailable");
    fresh.fails(
        "commit",
        commit(
            "later",
            text("none"),
            vec![event("later", "AccountOpened", vec![("name", text("x"))])],
        ),
        "unavailable",
    );
}
