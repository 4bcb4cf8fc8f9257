"""System tasks moved to the operations app: links to the old admin path keep working."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_old_admin_path_of_system_tasks_redirects(admin_client):
    response = admin_client.get("/admin/osrs_diff/systemtask/")
    assert response.status_code == 301
    assert response["Location"] == "/admin/system/systemtask/"
    response = admin_client.get("/admin/osrs_diff/systemtask/3/change/")
    assert response["Location"] == "/admin/system/systemtask/3/change/"
    assert admin_client.get("/admin/system/systemtask/").status_code == 200
