from ima2_cli.main import main

main()
