"""Session pages: runner reads and deletes own, coach reads squad members', nobody else."""

from django.urls import reverse

from sessions.models import RunSession


def test_runner_and_their_coach_read_a_session(world, login):
    url = reverse("session_detail", args=[world.session_alice.pk])
    assert login(world.alice.user).get(url).status_code == 200
    assert login(world.coach_a).get(url).status_code == 200


def test_other_runners_and_coaches_get_404(world, login):
    url = reverse("session_detail", args=[world.session_alice.pk])
    assert login(world.arno.user).get(url).status_code == 404
    assert login(world.coach_b).get(url).status_code == 404


def test_runner_deletes_own_session(world, login):
    login(world.alice.user).post(reverse("session_delete", args=[world.session_alice.pk]))
    assert not RunSession.objects.filter(pk=world.session_alice.pk).exists()


def test_a_coach_cannot_delete_a_runners_session(world, login):
    url = reverse("session_delete", args=[world.session_alice.pk])
    assert login(world.coach_a).post(url).status_code == 404
    assert RunSession.objects.filter(pk=world.session_alice.pk).exists()


def test_delete_needs_post(world, login):
    url = reverse("session_delete", args=[world.session_alice.pk])
    assert login(world.alice.user).get(url).status_code == 405
    assert RunSession.objects.filter(pk=world.session_alice.pk).exists()


def test_a_session_without_strides_says_so_and_one_all_out_of_zone_says_0_percent(world, login):
    from metrics.models import StrideRecord

    client = login(world.alice.user)
    empty = client.get(reverse("session_detail", args=[world.session_alice.pk])).content.decode()
    assert "—°" not in empty and "—%" not in empty
    for i in range(3):  # every stride above the zone: 0 % in zone, not "—"
        StrideRecord.objects.create(
            session=world.session_alice, leg="left", t_start=0.7 * i, t_toe_off=0.7 * i + 0.2,
            t_end=0.7 * (i + 1), kickback_deg=130, shank_back_deg=85, heel_rise_cm=40,
            knee_elevation_deg=38, knee_rise_cm=9, cadence_spm=171, contact_ms=210, speed_mps=3.5,
            pace_band="steady", kickback_zone="above", knee_elevation_zone="in", trace={})
    page = client.get(reverse("session_detail", args=[world.session_alice.pk])).content.decode()
    assert "130.0° · 0% in zone" in page and "38.0° · 100% in zone" in page
    listed = client.get(reverse("runner_home")).content.decode()
    assert "130.0°" in listed and "0% / 100%" in listed
