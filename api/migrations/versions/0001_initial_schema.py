"""initial schema: schools, staff, devices, incidents, reviews, alert rules, audit log

The audit log is made append-only in the database itself (triggers), so not even a bug or a
hand-typed SQL statement in the application's account can rewrite who read what.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import api.db

APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER audit_events_no_{op} BEFORE {OP} ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END")
APPEND_ONLY_POSTGRES = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=True),
    sa.Column('actor_type', sa.Enum('staff', 'device', 'system', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=True),
    sa.Column('target_id', sa.String(length=128), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_school_id_id'), ['school_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_target_id'), ['target_id'], unique=False)

    op.create_table('schools',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retention_months', sa.Integer(), nullable=False),
    sa.Column('device_silent_after_minutes', sa.Integer(), nullable=False),
    sa.Column('overlay', sa.JSON(), nullable=False),
    sa.Column('overlay_updated_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('name', name=op.f('uq_schools_name'))
    )
    op.create_table('staff',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('reviewer', 'dsl', 'admin', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_staff_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_email'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_school_id'), ['school_id'], unique=False)

    op.create_table('alert_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('trigger', sa.Enum('new_incident', 'escalation', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('min_severity', sa.Integer(), nullable=True),
    sa.Column('categories', sa.JSON(), nullable=True),
    sa.Column('after_minutes', sa.Integer(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_alert_rules_created_by_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_alert_rules_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rules'))
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_rules_school_id'), ['school_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_api_tokens_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_staff_id'), ['staff_id'], unique=False)

    op.create_table('enrolment_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['staff.id'], name=op.f('fk_enrolment_keys_created_by_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_enrolment_keys_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolment_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_enrolment_keys_key_hash'))
    )
    with op.batch_alter_table('enrolment_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolment_keys_school_id'), ['school_id'], unique=False)

    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_sessions_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_sessions_token_hash'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_staff_id'), ['staff_id'], unique=False)

    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=False),
    sa.Column('hostname', sa.String(length=255), nullable=False),
    sa.Column('agent_version', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('enrolment_key_id', sa.String(length=36), nullable=True),
    sa.Column('enrolled_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('spool_depth', sa.Integer(), nullable=False),
    sa.Column('dropped_screenshots', sa.Integer(), nullable=False),
    sa.Column('last_capture_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=512), nullable=True),
    sa.ForeignKeyConstraint(['enrolment_key_id'], ['enrolment_keys.id'], name=op.f('fk_devices_enrolment_key_id_enrolment_keys')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_devices_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_devices_token_hash'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_devices_school_id'), ['school_id'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('hit_key', sa.String(length=128), nullable=False),
    sa.Column('pupil', sa.String(length=512), nullable=False),
    sa.Column('observed_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('application', sa.String(length=512), nullable=False),
    sa.Column('window_title', sa.String(length=512), nullable=False),
    sa.Column('phrase', sa.String(length=512), nullable=False),
    sa.Column('phrase_category', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('context', sa.Text(), nullable=False),
    sa.Column('boxes', sa.JSON(), nullable=False),
    sa.Column('library_version', sa.String(length=128), nullable=False),
    sa.Column('model_version', sa.String(length=128), nullable=False),
    sa.Column('model_category', sa.String(length=32), nullable=True),
    sa.Column('model_alert', sa.Boolean(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('risk_base', sa.Float(), nullable=False),
    sa.Column('rank_key', sa.Float(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('new', 'suppressed', 'reviewed', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decision', sa.Enum('innocent', 'concern', 'urgent', name=None, native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('reviewed_by', sa.String(length=36), nullable=True),
    sa.Column('reviewed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dsl_acknowledged_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('alert_due', sa.Boolean(), nullable=False),
    sa.Column('alerted_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('screenshot_key', sa.String(length=64), nullable=True),
    sa.Column('screenshot_type', sa.String(length=32), nullable=True),
    sa.Column('screenshot_bytes', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_incidents_device_id_devices')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['staff.id'], name=op.f('fk_incidents_reviewed_by_staff')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_incidents_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('device_id', 'hit_key', name=op.f('uq_incidents_device_id_hit_key'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_device_id'), ['device_id'], unique=False)
        batch_op.create_index('ix_incidents_pupil', ['school_id', 'pupil', 'observed_at'], unique=False)
        batch_op.create_index('ix_incidents_queue', ['school_id', 'status', 'rank_key', 'id'], unique=False)
        batch_op.create_index('ix_incidents_school_time', ['school_id', 'observed_at'], unique=False)
        batch_op.create_index('ix_incidents_screenshot', ['screenshot_key'], unique=False)

    op.create_table('reviews',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('incident_id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.Enum('decision', 'promote', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('decision', sa.Enum('innocent', 'concern', 'urgent', name=None, native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('status_before', sa.Enum('new', 'suppressed', 'reviewed', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status_after', sa.Enum('new', 'suppressed', 'reviewed', name=None, native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('category_before', sa.String(length=32), nullable=False),
    sa.Column('category_after', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_reviews_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_reviews_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reviews'))
    )
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reviews_incident_id'), ['incident_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_POSTGRES)
    else:
        for name in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=name, OP=name.upper()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_events_no_{name}")
    with op.batch_alter_table('reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reviews_incident_id'))

    op.drop_table('reviews')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_screenshot')
        batch_op.drop_index('ix_incidents_school_time')
        batch_op.drop_index('ix_incidents_queue')
        batch_op.drop_index('ix_incidents_pupil')
        batch_op.drop_index(batch_op.f('ix_incidents_device_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_category'))

    op.drop_table('incidents')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_devices_school_id'))

    op.drop_table('devices')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_staff_id'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('enrolment_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolment_keys_school_id'))

    op.drop_table('enrolment_keys')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_staff_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_rules_school_id'))

    op.drop_table('alert_rules')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_school_id'))

    op.drop_table('staff')
    op.drop_table('schools')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_target_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_school_id_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
