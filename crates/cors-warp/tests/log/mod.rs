//! Capturing the `tracing` events of the current thread, to check what the
//! adapter logs.

use std::fmt;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

/// One event: its level, message and other fields.
#[derive(Debug, Clone)]
pub struct Captured {
    pub level: Level,
    pub message: String,
    pub fields: Vec<(String, String)>,
}

impl Captured {
    /// The value of the field `name`, as displayed.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The events captured so far; capture stops when this is dropped.
pub struct Events {
    events: Arc<Mutex<Vec<Captured>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Events {
    /// The `WARN` events, in order.
    #[allow(dead_code)] // not every test binary reads every level
    pub fn warnings(&self) -> Vec<Captured> {
        self.at(Level::WARN)
    }

    /// The events at `level`, in order.
    pub fn at(&self, level: Level) -> Vec<Captured> {
        self.events
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|e| e.level == level)
            .cloned()
            .collect()
    }
}

/// Captures this thread's events until the result is dropped.
pub fn capture() -> Events {
    let events = Arc::new(Mutex::new(Vec::new()));
    let subscriber = Capture {
        events: events.clone(),
    };
    Events {
        events,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

struct Capture {
    events: Arc<Mutex<Vec<Captured>>>,
}

struct Fields(Captured);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let shown = format!("{value:?}");
        if field.name() == "message" {
            self.0.message = shown;
        } else {
            self.0.fields.push((field.name().to_owned(), shown));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Captured {
            level: *event.metadata().level(),
            message: String::new(),
            fields: Vec::new(),
        });
        event.record(&mut fields);
        self.events.lock().expect("not poisoned").push(fields.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
