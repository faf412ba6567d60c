def test_health_needs_no_key(equos_mock):
    import httpx

    response = httpx.get(equos_mock.url + "/v3/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "1.0.0"}
