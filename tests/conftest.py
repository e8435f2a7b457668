"""What every test package shares."""

from hypothesis import HealthCheck, settings

# Property tests check every example they generate, however long generating takes: on a
# loaded machine (CI's two cores) Hypothesis's "too slow" health check and its deadline
# would fail them for the machine's speed, not for a property. Speed is for bench/.
settings.register_profile("advosearch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("advosearch")
