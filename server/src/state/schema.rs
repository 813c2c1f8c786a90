//! The schema: entity shapes and the projection rules of each event type.
//!
//! It is parsed from `register` requests and from `schema` log records (same shape, so
//! the log replays through the same parser), validated as a whole so a rule can never
//! name a field that does not exist, and compared with the previous schema so that a
//! change that would make the log replay differently is refused with a message saying
//! exactly what changed.

use std::collections::BTreeMap;

use resident_protocol::{map, Value};

use crate::cbor::node::Node;
use crate::error::ServerError;
use crate::state::value::{is_plain, kind};

/// Bounds on a schema, so one `register` cannot make every later event walk a huge list.
pub const ENTITY_TYPES_MAX: usize = 1024;
pub const EVENT_TYPES_MAX: usize = 4096;
pub const FIELDS_PER_ENTITY_MAX: usize = 1024;
pub const RULES_PER_EVENT_MAX: usize = 64;
pub const FIELD_RULES_PER_RULE_MAX: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Int,
    Float,
    String,
    Bool,
    Array,
    Mixed,
}

impl FieldType {
    fn parse(name: &str) -> Option<FieldType> {
        Some(match name {
            "int" => FieldType::Int,
            "float" => FieldType::Float,
            "string" => FieldType::String,
            "bool" => FieldType::Bool,
            "array" => FieldType::Array,
            "mixed" => FieldType::Mixed,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Int => "int",
            FieldType::Float => "float",
            FieldType::String => "string",
            FieldType::Bool => "bool",
            FieldType::Array => "array",
            FieldType::Mixed => "mixed",
        }
    }

    /// Checks a value about to be stored, returning it in its stored form (an int
    /// written to a float field becomes a float).
    pub fn check(self, value: Value, nullable: bool) -> Result<Value, String> {
        if value.is_null() {
            return if nullable || self == FieldType::Mixed {
                Ok(value)
            } else {
                Err("must not be null".to_string())
            };
        }
        let fits = match self {
            FieldType::Int => matches!(value, Value::Integer(_)) && is_plain(&value),
            FieldType::Float => {
                if let Some(i) = crate::state::value::as_i64(&value) {
                    return Ok(Value::Float(i as f64));
                }
                matches!(value, Value::Float(_))
            }
            FieldType::String => value.is_text(),
            FieldType::Bool => value.is_bool(),
            FieldType::Array => (value.is_array() || value.is_map()) && is_plain(&value),
            FieldType::Mixed => is_plain(&value),
        };
        if fits {
            Ok(value)
        } else {
            Err(format!("must be {}, got {}", self.name(), kind(&value)))
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, FieldType::Int | FieldType::Float | FieldType::Mixed)
    }

    fn is_list(self) -> bool {
        matches!(self, FieldType::Array | FieldType::Mixed)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    pub name: String,
    pub ty: FieldType,
    pub nullable: bool,
    pub default: Option<Value>,
}

impl FieldDef {
    /// A field the creating event must set: neither nullable nor defaulted.
    pub fn is_required(&self) -> bool {
        !self.nullable && self.default.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EntityDef {
    pub name: String,
    /// The field that holds the entity id; always a non-nullable string.
    pub id_field: String,
    pub fields: Vec<FieldDef>,
    pub indexes: Vec<String>,
}

impl EntityDef {
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleOp {
    Create,
    Update,
    Upsert,
    Delete,
}

impl RuleOp {
    fn parse(name: &str) -> Option<RuleOp> {
        Some(match name {
            "create" => RuleOp::Create,
            "update" => RuleOp::Update,
            "upsert" => RuleOp::Upsert,
            "delete" => RuleOp::Delete,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RuleOp::Create => "create",
            RuleOp::Update => "update",
            RuleOp::Upsert => "upsert",
            RuleOp::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Set,
    Add,
    Subtract,
    Min,
    Max,
    Push,
    Pull,
}

impl FieldOp {
    fn parse(name: &str) -> Option<FieldOp> {
        Some(match name {
            "set" => FieldOp::Set,
            "add" => FieldOp::Add,
            "subtract" => FieldOp::Subtract,
            "min" => FieldOp::Min,
            "max" => FieldOp::Max,
            "push" => FieldOp::Push,
            "pull" => FieldOp::Pull,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldOp::Set => "set",
            FieldOp::Add => "add",
            FieldOp::Subtract => "subtract",
            FieldOp::Min => "min",
            FieldOp::Max => "max",
            FieldOp::Push => "push",
            FieldOp::Pull => "pull",
        }
    }
}

/// Event facts a field rule may copy instead of an event data property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    RecordedAt,
    Position,
    Version,
    EventId,
    CorrelationId,
    CausationId,
}

impl MetaKey {
    /// The facts the server sets: `recorded_at`, and the event's own position, version
    /// and id. A client's meta entries under these names are dropped, so `read` never
    /// echoes a forged one.
    pub const SET_BY_SERVER: [MetaKey; 4] = [
        MetaKey::RecordedAt,
        MetaKey::Position,
        MetaKey::Version,
        MetaKey::EventId,
    ];

    fn parse(name: &str) -> Option<MetaKey> {
        Some(match name {
            "recorded_at" => MetaKey::RecordedAt,
            "position" => MetaKey::Position,
            "version" => MetaKey::Version,
            "event_id" => MetaKey::EventId,
            "correlation_id" => MetaKey::CorrelationId,
            "causation_id" => MetaKey::CausationId,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            MetaKey::RecordedAt => "recorded_at",
            MetaKey::Position => "position",
            MetaKey::Version => "version",
            MetaKey::EventId => "event_id",
            MetaKey::CorrelationId => "correlation_id",
            MetaKey::CausationId => "causation_id",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Prop(String),
    Value(Value),
    Meta(MetaKey),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Prop(p) => format!("prop {p}"),
            Source::Value(v) => format!("value {v:?}"),
            Source::Meta(m) => format!("meta {}", m.name()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    pub field: String,
    pub op: FieldOp,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub op: RuleOp,
    pub entity: String,
    /// The event data property holding the entity id; `None` means the stream's key.
    pub id_prop: Option<String>,
    pub fields: Vec<FieldRule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventDef {
    pub name: String,
    pub rules: Vec<Rule>,
}

/// Entity and event definitions, each keyed by its wire name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub entities: BTreeMap<String, EntityDef>,
    pub events: BTreeMap<String, EventDef>,
}

/// The definitions one `register` request (or schema record) carries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchemaPart {
    pub entities: Vec<EntityDef>,
    pub events: Vec<EventDef>,
}

impl SchemaPart {
    /// Parses `{entities: [...], events: [...]}`; both lists are optional.
    pub fn parse(root: &Node<'_>) -> Result<SchemaPart, ServerError> {
        let mut part = SchemaPart::default();
        if let Some(list) = root.get("entities")? {
            if list.len()? > ENTITY_TYPES_MAX {
                return Err(list.error(&format!("has more than {ENTITY_TYPES_MAX} entries")));
            }
            for node in list.items()? {
                part.entities.push(parse_entity(&node)?);
            }
        }
        if let Some(list) = root.get("events")? {
            if list.len()? > EVENT_TYPES_MAX {
                return Err(list.error(&format!("has more than {EVENT_TYPES_MAX} entries")));
            }
            for node in list.items()? {
                part.events.push(parse_event(&node)?);
            }
        }
        Ok(part)
    }
}

fn parse_entity(node: &Node<'_>) -> Result<EntityDef, ServerError> {
    let name = node.name("name")?.to_string();
    let id_field = node.optional_name("id")?.unwrap_or("uuid").to_string();
    let fields_node = node.require("fields")?;
    if fields_node.len()? > FIELDS_PER_ENTITY_MAX {
        return Err(fields_node.error(&format!("has more than {FIELDS_PER_ENTITY_MAX} fields")));
    }
    let mut fields = Vec::new();
    for f in fields_node.items()? {
        let type_node = f.require("type")?;
        let type_name = type_node.as_text()?;
        let ty = FieldType::parse(type_name).ok_or_else(|| {
            type_node.error(&format!(
                "is {type_name:?}; known types are int, float, string, bool, array, mixed"
            ))
        })?;
        let default = match f.get("default")? {
            None => None,
            Some(d) => {
                if !is_plain(d.value) {
                    return Err(d.error("must be null, bool, int, float, text or an array"));
                }
                Some(d.value.clone())
            }
        };
        fields.push(FieldDef {
            name: f.name("name")?.to_string(),
            ty,
            nullable: f
                .get("nullable")?
                .map(|n| n.as_bool())
                .transpose()?
                .unwrap_or(false),
            default,
        });
    }
    let mut indexes = Vec::new();
    if let Some(list) = node.get("indexes")? {
        if list.len()? > FIELDS_PER_ENTITY_MAX {
            return Err(list.error("has more entries than an entity may have fields"));
        }
        for i in list.items()? {
            indexes.push(i.as_name()?.to_string());
        }
    }
    Ok(EntityDef {
        name,
        id_field,
        fields,
        indexes,
    })
}

fn parse_event(node: &Node<'_>) -> Result<EventDef, ServerError> {
    let name = node.name("name")?.to_string();
    let rules_node = node.require("rules")?;
    if rules_node.len()? > RULES_PER_EVENT_MAX {
        return Err(rules_node.error(&format!("has more than {RULES_PER_EVENT_MAX} rules")));
    }
    let mut rules = Vec::new();
    for r in rules_node.items()? {
        let op_node = r.require("op")?;
        let op_name = op_node.as_text()?;
        let op = RuleOp::parse(op_name).ok_or_else(|| {
            op_node.error(&format!(
                "is {op_name:?}; known ops are create, update, upsert, delete"
            ))
        })?;
        let mut fields = Vec::new();
        if let Some(list) = r.get("fields")? {
            if list.len()? > FIELD_RULES_PER_RULE_MAX {
                return Err(list.error(&format!("has more than {FIELD_RULES_PER_RULE_MAX} rules")));
            }
            for f in list.items()? {
                fields.push(parse_field_rule(&f)?);
            }
        }
        rules.push(Rule {
            op,
            entity: r.name("entity")?.to_string(),
            id_prop: r.optional_name("id")?.map(str::to_string),
            fields,
        });
    }
    Ok(EventDef { name, rules })
}

fn parse_field_rule(node: &Node<'_>) -> Result<FieldRule, ServerError> {
    let op_node = node.require("op")?;
    let op_name = op_node.as_text()?;
    let op = FieldOp::parse(op_name).ok_or_else(|| {
        op_node.error(&format!(
            "is {op_name:?}; known ops are set, add, subtract, min, max, push, pull"
        ))
    })?;
    let prop = node.optional_name("prop")?;
    let meta = node.get("meta")?;
    // `value: null` is a real constant (set a field to null), so look at the raw entry.
    let value = match node.value {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.as_text() == Some("value")),
        _ => None,
    };
    let sources =
        usize::from(prop.is_some()) + usize::from(meta.is_some()) + usize::from(value.is_some());
    if sources != 1 {
        return Err(node.error("must have exactly one of prop, value, meta"));
    }
    let source = if let Some(p) = prop {
        Source::Prop(p.to_string())
    } else if let Some(m) = meta {
        let name = m.as_text()?;
        Source::Meta(MetaKey::parse(name).ok_or_else(|| {
            m.error(&format!(
                "is {name:?}; known are recorded_at, position, version, event_id, correlation_id, causation_id"
            ))
        })?)
    } else if let Some((_, v)) = value {
        if !is_plain(v) {
            return Err(node.error("value must be null, bool, int, float, text or an array"));
        }
        Source::Value(v.clone())
    } else {
        return Err(node.error("must have exactly one of prop, value, meta"));
    };
    Ok(FieldRule {
        field: node.name("field")?.to_string(),
        op,
        source,
    })
}

impl Schema {
    /// This schema with the given definitions added or replacing those of the same name.
    /// Definitions the part does not mention stay, so that an application registering
    /// only some of its classes never drops the others.
    pub fn merged(&self, part: &SchemaPart) -> Schema {
        let mut next = self.clone();
        for e in &part.entities {
            next.entities.insert(e.name.clone(), e.clone());
        }
        for e in &part.events {
            next.events.insert(e.name.clone(), e.clone());
        }
        next
    }

    /// Checks the schema as a whole: every rule names a known entity and field, every op
    /// suits its field's type, every create can produce a complete entity.
    pub fn validate(&self) -> Result<(), ServerError> {
        for e in self.entities.values() {
            let mut seen = std::collections::HashSet::new();
            for f in &e.fields {
                if !seen.insert(f.name.as_str()) {
                    return Err(ServerError::schema(format!(
                        "entity {}: field {} is declared twice",
                        e.name, f.name
                    )));
                }
                if let Some(d) = &f.default {
                    f.ty.check(d.clone(), f.nullable).map_err(|m| {
                        ServerError::schema(format!(
                            "entity {}: default of field {} {m}",
                            e.name, f.name
                        ))
                    })?;
                }
            }
            match e.field(&e.id_field) {
                None => {
                    return Err(ServerError::schema(format!(
                        "entity {}: id field {} is not among its fields",
                        e.name, e.id_field
                    )))
                }
                Some(f) if f.ty != FieldType::String || f.nullable => {
                    return Err(ServerError::schema(format!(
                        "entity {}: id field {} must be a non-nullable string",
                        e.name, e.id_field
                    )))
                }
                Some(_) => {}
            }
            for i in &e.indexes {
                if e.field(i).is_none() {
                    return Err(ServerError::schema(format!(
                        "entity {}: index on unknown field {i}",
                        e.name
                    )));
                }
            }
        }
        for ev in self.events.values() {
            for (n, rule) in ev.rules.iter().enumerate() {
                self.validate_rule(ev, n, rule)?;
            }
        }
        Ok(())
    }

    fn validate_rule(&self, ev: &EventDef, n: usize, rule: &Rule) -> Result<(), ServerError> {
        let at = |msg: String| {
            ServerError::schema(format!(
                "event {} rule {n} ({} {}): {msg}",
                ev.name,
                rule.op.name(),
                rule.entity
            ))
        };
        let entity = self
            .entities
            .get(&rule.entity)
            .ok_or_else(|| at(format!("entity type {} is not registered", rule.entity)))?;
        if rule.op == RuleOp::Delete && !rule.fields.is_empty() {
            return Err(at("a delete rule cannot set fields".to_string()));
        }
        for fr in &rule.fields {
            check_field_rule(entity, fr).map_err(at)?;
        }
        if matches!(rule.op, RuleOp::Create | RuleOp::Upsert) {
            for f in entity
                .fields
                .iter()
                .filter(|f| f.is_required() && f.name != entity.id_field)
            {
                if !rule.fields.iter().any(|fr| fr.field == f.name) {
                    return Err(at(format!(
                        "field {} has no default and is not nullable, so the rule must set it",
                        f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Refuses a change that would alter data already recorded. `event_count` and
    /// `entity_count` tell how much exists per type; types with nothing recorded may
    /// change freely.
    pub fn check_change(
        &self,
        next: &Schema,
        event_count: impl Fn(&str) -> u64,
        entity_count: impl Fn(&str) -> u64,
    ) -> Result<(), ServerError> {
        for (name, old) in &self.entities {
            let count = entity_count(name);
            if count == 0 {
                continue;
            }
            let Some(new) = next.entities.get(name) else {
                continue;
            };
            if let Some(what) = entity_change(old, new) {
                return Err(ServerError::schema(format!(
                    "entity type {name} already has {count} entities; its definition changed: {what}"
                )));
            }
        }
        for (name, old) in &self.events {
            let count = event_count(name);
            if count == 0 {
                continue;
            }
            let Some(new) = next.events.get(name) else {
                continue;
            };
            if let Some(what) = rules_change(&old.rules, &new.rules) {
                return Err(ServerError::schema(format!(
                    "event type {name} already has {count} events; its rules changed: {what}"
                )));
            }
        }
        Ok(())
    }

    pub fn to_value(&self) -> Value {
        map::build(vec![
            (
                "entities",
                Value::Array(self.entities.values().map(entity_to_value).collect()),
            ),
            (
                "events",
                Value::Array(self.events.values().map(event_to_value).collect()),
            ),
        ])
    }
}

/// A field rule names a field of `entity` other than its id, with an op its type takes
/// and a fixed value (if any) of that type.
fn check_field_rule(entity: &EntityDef, fr: &FieldRule) -> Result<(), String> {
    let field = entity
        .field(&fr.field)
        .ok_or_else(|| format!("entity {} has no field {}", entity.name, fr.field))?;
    if fr.field == entity.id_field {
        return Err(format!(
            "field {} is the entity id and cannot be changed by a rule",
            fr.field
        ));
    }
    let fits = match fr.op {
        FieldOp::Set => true,
        FieldOp::Add | FieldOp::Subtract | FieldOp::Min | FieldOp::Max => field.ty.is_numeric(),
        FieldOp::Push | FieldOp::Pull => field.ty.is_list(),
    };
    if !fits {
        return Err(format!(
            "op {} does not apply to field {} of type {}",
            fr.op.name(),
            fr.field,
            field.ty.name()
        ));
    }
    if let (FieldOp::Set, Source::Value(v)) = (fr.op, &fr.source) {
        field
            .ty
            .check(v.clone(), field.nullable)
            .map_err(|m| format!("value for field {} {m}", fr.field))?;
    }
    Ok(())
}

/// What changed in an entity definition that existing entities would notice, if anything.
/// Adding a field with a default or nullable is fine: existing entities get that value.
/// Index changes are fine too: they change access paths, not data.
fn entity_change(old: &EntityDef, new: &EntityDef) -> Option<String> {
    if old.id_field != new.id_field {
        return Some(format!("id field {} → {}", old.id_field, new.id_field));
    }
    for f in &old.fields {
        let Some(n) = new.field(&f.name) else {
            return Some(format!("field {} removed", f.name));
        };
        if f.ty != n.ty {
            return Some(format!(
                "field {} type {} → {}",
                f.name,
                f.ty.name(),
                n.ty.name()
            ));
        }
        if f.nullable != n.nullable {
            return Some(format!(
                "field {} nullable {} → {}",
                f.name, f.nullable, n.nullable
            ));
        }
        if f.default != n.default {
            return Some(format!(
                "field {} default {:?} → {:?}",
                f.name, f.default, n.default
            ));
        }
    }
    for n in &new.fields {
        if old.field(&n.name).is_none() && n.is_required() {
            return Some(format!(
                "field {} added with neither a default nor nullable",
                n.name
            ));
        }
    }
    None
}

fn rules_change(old: &[Rule], new: &[Rule]) -> Option<String> {
    if old.len() != new.len() {
        return Some(format!("{} rules → {}", old.len(), new.len()));
    }
    for (n, (o, r)) in old.iter().zip(new).enumerate() {
        if o.op != r.op {
            return Some(format!("rule {n} op {} → {}", o.op.name(), r.op.name()));
        }
        if o.entity != r.entity {
            return Some(format!("rule {n} entity {} → {}", o.entity, r.entity));
        }
        if o.id_prop != r.id_prop {
            let show = |p: &Option<String>| p.clone().unwrap_or_else(|| "(stream id)".to_string());
            return Some(format!(
                "rule {n} id {} → {}",
                show(&o.id_prop),
                show(&r.id_prop)
            ));
        }
        if o.fields.len() != r.fields.len() {
            return Some(format!(
                "rule {n} sets {} fields → {}",
                o.fields.len(),
                r.fields.len()
            ));
        }
        for (a, b) in o.fields.iter().zip(&r.fields) {
            if a.field != b.field {
                return Some(format!("field {} → {}", a.field, b.field));
            }
            if a.op != b.op {
                return Some(format!(
                    "field {} op {} → {}",
                    a.field,
                    a.op.name(),
                    b.op.name()
                ));
            }
            if a.source != b.source {
                return Some(format!(
                    "field {} source {} → {}",
                    a.field,
                    a.source.describe(),
                    b.source.describe()
                ));
            }
        }
    }
    None
}

fn entity_to_value(e: &EntityDef) -> Value {
    let fields = e
        .fields
        .iter()
        .map(|f| {
            let mut entries = vec![
                ("name", Value::from(f.name.as_str())),
                ("type", Value::from(f.ty.name())),
                ("nullable", Value::Bool(f.nullable)),
            ];
            if let Some(d) = &f.default {
                entries.push(("default", d.clone()));
            }
            map::build(entries)
        })
        .collect();
    map::build(vec![
        ("name", Value::from(e.name.as_str())),
        ("id", Value::from(e.id_field.as_str())),
        ("fields", Value::Array(fields)),
        (
            "indexes",
            Value::Array(e.indexes.iter().map(|i| Value::from(i.as_str())).collect()),
        ),
    ])
}

fn event_to_value(e: &EventDef) -> Value {
    let rules = e
        .rules
        .iter()
        .map(|r| {
            let fields = r
                .fields
                .iter()
                .map(|f| {
                    let source = match &f.source {
                        Source::Prop(p) => ("prop", Value::from(p.as_str())),
                        Source::Value(v) => ("value", v.clone()),
                        Source::Meta(m) => ("meta", Value::from(m.name())),
                    };
                    map::build(vec![
                        ("field", Value::from(f.field.as_str())),
                        ("op", Value::from(f.op.name())),
                        source,
                    ])
                })
                .collect();
            map::build(vec![
                ("op", Value::from(r.op.name())),
                ("entity", Value::from(r.entity.as_str())),
                ("id", r.id_prop.as_deref().map_or(Value::Null, Value::from)),
                ("fields", Value::Array(fields)),
            ])
        })
        .collect();
    map::build(vec![
        ("name", Value::from(e.name.as_str())),
        ("rules", Value::Array(rules)),
    ])
}
