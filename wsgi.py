from audit_tool import create_app

app = create_app()
