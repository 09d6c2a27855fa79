//! The SQL of each kind of row the writer stores: health rows, breaker transitions and
//! states, alert events, silences, rule sets, actions and stream states, and the ids of
//! services and series it looks up once.

use std::collections::HashMap;

use sqlx::Sqlite;

use super::queue::{Event, Round};
use crate::model::{BreakerState, Reachability, Transition};

pub(super) type Tx<'c> = sqlx::Transaction<'c, Sqlite>;

pub(super) async fn write_health(
    tx: &mut Tx<'_>,
    service_id: i64,
    round: &Round,
) -> Result<(), sqlx::Error> {
    let http_code = match &round.reachability {
        Reachability::HttpError { code, .. } => Some(i64::from(*code)),
        _ => None,
    };
    let detail = round
        .health
        .as_ref()
        .map(|h| serde_json::to_string(h).unwrap_or_default());
    sqlx::query(
        "INSERT INTO health_observations
           (service_id, observed_at_ms, reachability, message, http_code, latency_ms, status, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id)
    .bind(round.at_ms)
    .bind(round.reachability.kind())
    .bind(round.reachability.message())
    .bind(http_code)
    .bind(round.reachability.latency_ms())
    .bind(round.health.as_ref().map(|h| h.status.as_str()))
    .bind(detail)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes one event; returns the row id of a started action.
pub(super) async fn write_event(
    tx: &mut Tx<'_>,
    ids: &mut IdCache,
    event: &Event,
) -> Result<Option<i64>, sqlx::Error> {
    match event {
        Event::Breakers {
            service,
            profile,
            transitions,
        } => {
            let service_id = ids.service(tx, service, profile).await?;
            write_transitions(tx, service_id, transitions).await?;
        }
        Event::Alert(alert) => {
            let service_id = ids.known_service(tx, &alert.service).await?;
            sqlx::query(
                "INSERT INTO alert_events
                   (rule, service_id, severity, state, value, at_ms, subject, detail,
                    silenced_until_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&alert.rule)
            .bind(service_id)
            .bind(&alert.severity)
            .bind(alert.state.as_str())
            .bind(alert.value)
            .bind(alert.at.timestamp_millis())
            .bind(alert.subject.as_deref())
            .bind(alert.detail.as_deref())
            .bind(alert.silenced_until.map(|t| t.timestamp_millis()))
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertAck(ack) => {
            let service_id = ids.known_service(tx, &ack.service).await?;
            sqlx::query(
                "UPDATE alert_events
                    SET acknowledged_by = ?1, acknowledged_at_ms = ?2, ack_comment = ?3
                  WHERE id = (SELECT id FROM alert_events
                               WHERE rule = ?4 AND service_id = ?5
                                 AND (?6 IS NULL OR subject = ?6)
                               ORDER BY at_ms DESC, id DESC LIMIT 1)",
            )
            .bind(&ack.by)
            .bind(ack.at.timestamp_millis())
            .bind(ack.comment.as_deref())
            .bind(&ack.rule)
            .bind(service_id)
            .bind(ack.subject.as_deref())
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertSilence(silence) => {
            let service_id = ids.known_service(tx, &silence.service).await?;
            sqlx::query(
                "UPDATE alert_events SET silenced_until_ms = ?
                  WHERE id = (SELECT id FROM alert_events
                               WHERE rule = ? AND service_id = ?
                               ORDER BY at_ms DESC, id DESC LIMIT 1)",
            )
            .bind(silence.until.timestamp_millis())
            .bind(&silence.rule)
            .bind(service_id)
            .execute(&mut **tx)
            .await?;
        }
        Event::SilenceSet(silence) => {
            // The same id again (a silence restored and re-announced) replaces the row.
            sqlx::query(
                "INSERT OR REPLACE INTO alert_silences
                   (id, rule, service, until_ms, reason, created_by, created_at_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(i64::try_from(silence.id).unwrap_or(i64::MAX))
            .bind(silence.rule.as_deref())
            .bind(silence.service.as_deref())
            .bind(silence.until.timestamp_millis())
            .bind(&silence.reason)
            .bind(&silence.by)
            .bind(silence.at.timestamp_millis())
            .execute(&mut **tx)
            .await?;
        }
        Event::SilenceRemoved(removed) => {
            sqlx::query(
                "UPDATE alert_silences SET removed_by = ?, removed_at_ms = ?
                  WHERE id = ? AND removed_at_ms IS NULL",
            )
            .bind(&removed.by)
            .bind(removed.at.timestamp_millis())
            .bind(i64::try_from(removed.id).unwrap_or(i64::MAX))
            .execute(&mut **tx)
            .await?;
        }
        Event::AlertRules(saved) => {
            sqlx::query(
                "INSERT INTO alert_rule_sets (saved_at_ms, saved_by, rules_toml) VALUES (?, ?, ?)",
            )
            .bind(saved.at.timestamp_millis())
            .bind(&saved.by)
            .bind(&saved.rules_toml)
            .execute(&mut **tx)
            .await?;
        }
        Event::ActionStarted(intent, _) => {
            let service_id = ids.known_service(tx, &intent.service).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO action_log (at_ms, operator, service_id, target, action, reason, override, instance)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(intent.at.timestamp_millis())
            .bind(&intent.operator)
            .bind(service_id)
            .bind(intent.target.as_deref())
            .bind(&intent.action)
            .bind(intent.reason.as_deref())
            .bind(intent.override_checks)
            .bind(intent.instance.as_deref())
            .fetch_one(&mut **tx)
            .await?;
            return Ok(Some(id));
        }
        Event::ActionFinished(id, outcome) => {
            sqlx::query(
                "UPDATE action_log
                    SET outcome_at_ms = ?, http_status = ?, message = ?, duration_ms = ?,
                        verified_state = ?
                  WHERE id = ?",
            )
            .bind(outcome.at.timestamp_millis())
            .bind(outcome.http_status.map(i64::from))
            .bind(outcome.message.as_deref())
            .bind(outcome.duration_ms)
            .bind(outcome.verified_state.as_deref())
            .bind(id)
            .execute(&mut **tx)
            .await?;
        }
        Event::Stream(change) => {
            let service_id = ids.known_service(tx, &change.service).await?;
            sqlx::query(
                "INSERT INTO stream_states (service_id, stream, at_ms, state, detail)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(service_id)
            .bind(&change.stream)
            .bind(change.at.timestamp_millis())
            .bind(&change.state)
            .bind(change.detail.as_deref())
            .execute(&mut **tx)
            .await?;
        }
        Event::Flush(_) => {}
    }
    Ok(None)
}

/// Stores transitions as the engine decided them, and keeps `breaker_states` at each
/// breaker's newest one (a late, older transition does not move it back).
async fn write_transitions(
    tx: &mut Tx<'_>,
    service_id: i64,
    transitions: &[Transition],
) -> Result<(), sqlx::Error> {
    for transition in transitions {
        let at_ms = transition.at.timestamp_millis();
        insert_transition(tx, service_id, transition, at_ms).await?;
        sqlx::query(
            "INSERT INTO breaker_states (service_id, breaker, state, since_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (service_id, breaker) DO UPDATE
                SET state = excluded.state, since_ms = excluded.since_ms
              WHERE excluded.since_ms >= breaker_states.since_ms",
        )
        .bind(service_id)
        .bind(&transition.breaker)
        .bind(transition.to.as_str())
        .bind(at_ms)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_transition(
    tx: &mut Tx<'_>,
    service_id: i64,
    transition: &Transition,
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT OR IGNORE INTO breaker_transitions
           (service_id, breaker, at_ms, from_state, to_state, source, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(service_id)
    .bind(&transition.breaker)
    .bind(at_ms)
    .bind(transition.from.map(BreakerState::as_str))
    .bind(transition.to.as_str())
    .bind(transition.source.as_str())
    .bind(transition.reason.as_deref())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
/// Integer ids of services and series, so each
/// write does not look them up again.
#[derive(Default)]
pub(super) struct IdCache {
    services: HashMap<String, i64>,
    series: HashMap<i64, HashMap<String, i64>>,
}

impl IdCache {
    pub(super) async fn service(
        &mut self,
        tx: &mut Tx<'_>,
        name: &str,
        profile: &str,
    ) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.services.get(name) {
            return Ok(*id);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO services (name, profile) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET profile = excluded.profile
             RETURNING id",
        )
        .bind(name)
        .bind(profile)
        .fetch_one(&mut **tx)
        .await?;
        self.services.insert(name.to_string(), id);
        Ok(id)
    }

    /// A service named by an alert, action or stream: created with profile `unknown`
    /// if no observation named it yet, never overwriting a known profile.
    pub(super) async fn known_service(
        &mut self,
        tx: &mut Tx<'_>,
        name: &str,
    ) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.services.get(name) {
            return Ok(*id);
        }
        sqlx::query("INSERT INTO services (name, profile) VALUES (?, 'unknown') ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut **tx)
            .await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM services WHERE name = ?")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?;
        self.services.insert(name.to_string(), id);
        Ok(id)
    }

    pub(super) async fn series(
        &mut self,
        tx: &mut Tx<'_>,
        service_id: i64,
        name: &str,
    ) -> Result<i64, sqlx::Error> {
        if let Some(id) = self.series.get(&service_id).and_then(|m| m.get(name)) {
            return Ok(*id);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO series (service_id, name, labels) VALUES (?, ?, '')
             ON CONFLICT (service_id, name, labels) DO UPDATE SET name = excluded.name
             RETURNING id",
        )
        .bind(service_id)
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
        self.series
            .entry(service_id)
            .or_default()
            .insert(name.to_string(), id);
        Ok(id)
    }
}
