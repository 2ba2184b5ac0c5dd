"""Post-deploy checks: ``python -m checks --stack <stack>`` proves a deployed stack works."""
