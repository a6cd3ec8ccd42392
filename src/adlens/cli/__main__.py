from adlens.cli.main import main

main()
