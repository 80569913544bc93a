"""Statistics monitoring system (统计监测): rollups, dashboards, exports, open statistics."""
