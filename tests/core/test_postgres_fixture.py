def test_pg(postgres_url):
    import sqlalchemy as sa

    eng = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://"))
    with eng.connect() as c:
        assert c.execute(sa.text("select 1")).scalar() == 1
